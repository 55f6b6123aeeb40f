"""Carts and rules for the engine's tests, without a database."""
from datetime import datetime
from decimal import Decimal

from plugins.promotions.services.engine import Cart, CartLine, RuleView

NOW = datetime(2026, 6, 1, 12, 0)


def line(index, price, qty=1, sku=None, product=None, categories=(), brand=None, merchant=1):
    price = Decimal(str(price))
    return CartLine(index, sku or 100 + index, product or 200 + index, frozenset(categories), brand, merchant, qty,
                    price, (price * qty).quantize(Decimal("0.01")))


def cart(*lines, customer="", codes=(), now=NOW, merchant=1, minor=2):
    return Cart(merchant, "CNY", minor, tuple(lines), now, customer, frozenset(codes))


def rule(id, kind="percent", **kw):
    params = kw.pop("params", None) or {"percent": {"percent": "10"}, "amount": {"amount": "10"},
                                        "tiers": {"tiers": [["100", "20"], ["200", "50"]]},
                                        "n_items": {"n": 3, "percent": "50"}, "buy_get": {"buy": 2, "get": 1},
                                        "flash": {"price": "5", "sessions": [["10:00", "14:00"]]},
                                        "coupon": {"benefit": "amount", "amount": "15"}}[kind]
    kw.setdefault("name", f"Rule {id}")
    for key in ("min_spend", "max_discount", "budget_left"):
        if kw.get(key) is not None:
            kw[key] = Decimal(str(kw[key]))
    kw["combines_with"] = frozenset(kw.get("combines_with", ()))
    kw["targets"] = frozenset(kw.get("targets", ()))
    return RuleView(id=id, kind=kind, params=params, **kw)


def by_rule(outcome):
    """``{rule id: discount in cents}`` of the rules applied."""
    return {a.rule.id: a.total_units() for a in outcome.applied}


def verdict(outcome, rule_id):
    return next(v for v in outcome.verdicts if v.rule_id == rule_id)
