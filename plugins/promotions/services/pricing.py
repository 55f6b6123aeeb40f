"""The orders' pricing extension point: a draft becomes a ``Cart``, the
rules it can match are found through the scope index (``RuleTarget``), their
counters are read, and the engine's discounts are answered as adjustments.

What the engine decided is kept on the session (``session.info``) under the
draft's lines, so the ``OrderPlaced`` handler records and consumes exactly
what the order was priced with, in the same transaction."""
import json
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import ARRAY, and_, any_, bindparam, or_, select

from plugins.catalog.models import Category, Product, Sku
from plugins.orders.services.pricing import Adjustment
from portal.extensions import db
from portal.models import utcnow
from portal.money import minor_unit, quantize

from ..models import (ACTIVE, BRAND, CATEGORY, COUPON, MERCHANT, PRODUCT, SKU, STORE, CouponCode, CustomerUse,
                      Rule, RuleTarget)
from .engine import Cart, CartLine, RuleView, evaluate, to_money

SOURCE, KIND = "promotions", "discount"
STASH = "promotions.priced"
STASH_SIZE = 64


def cart_of(draft, now=None):
    """The engine's ``Cart`` for an orders ``Draft``: each line with its product,
    category and its ancestors, brand and merchant."""
    ids = [line.sku_id for line in draft.lines]
    facts = {sku_id: (product_id, brand_id, merchant_id, path) for sku_id, product_id, brand_id, merchant_id, path
             in db.session.execute(
                 select(Sku.id, Product.id, Product.brand_id, Sku.merchant_id, Category.path)
                 .join(Product, Product.id == Sku.product_id).join(Category, Category.id == Product.category_id)
                 .where(Sku.id.in_(ids)))}
    lines = []
    for line in draft.lines:
        product_id, brand_id, merchant_id, path = facts.get(line.sku_id, (None, None, draft.merchant_id, ""))
        categories = frozenset(int(part) for part in (path or "").strip("/").split("/") if part)
        lines.append(CartLine(line.index, line.sku_id, product_id, categories, brand_id, merchant_id, line.qty,
                              Decimal(line.unit_price), quantize(line.unit_price * line.qty, draft.currency)))
    return Cart(draft.merchant_id, draft.currency, minor_unit(draft.currency), tuple(lines), now or utcnow(),
                draft.customer_ref or "", frozenset(getattr(draft, "coupon_codes", ()) or ()), draft.channel or "")


def live_filter(now):
    """Rules running at ``now``."""
    return and_(Rule.status == ACTIVE, Rule.starts_at <= now, or_(Rule.ends_at.is_(None), Rule.ends_at > now))


# A cart is priced on every change of a new order's form and at every
# placing: the rules are read as plain rows (no ORM objects to build), by
# statements made once per dialect with their values as parameters (compiled
# once), and each rule's parameters are parsed once per text.
RULE_COLUMNS = (Rule.id, Rule.name, Rule.kind, Rule.params_json, Rule.scope, Rule.merchant_id, Rule.status,
                Rule.starts_at, Rule.ends_at, Rule.priority, Rule.exclusive, Rule.combines_with, Rule.funder,
                Rule.platform_share, Rule.min_spend, Rule.max_discount, Rule.budget, Rule.budget_used,
                Rule.usage_limit, Rule.used_count, Rule.per_customer_limit)


@lru_cache(maxsize=4)
def _statements(dialect):
    def among(column, name):
        # PostgreSQL takes a list as one array parameter: a statement with
        # hundreds of parameters costs it more to send and plan than to run
        if dialect == "postgresql":
            return column == any_(bindparam(name, type_=ARRAY(column.type)))
        return column.in_(bindparam(name, expanding=True))

    owned = or_(Rule.merchant_id.is_(None), Rule.merchant_id == bindparam("merchant_id"))
    return SimpleNamespace(
        candidates=select(*RULE_COLUMNS).where(
            Rule.id.in_(select(RuleTarget.rule_id).where(or_(
                and_(RuleTarget.kind == STORE, RuleTarget.ref_id == 0),
                and_(RuleTarget.kind == MERCHANT, RuleTarget.ref_id == bindparam("merchant_id")),
                and_(RuleTarget.kind == SKU, among(RuleTarget.ref_id, "skus")),
                and_(RuleTarget.kind == PRODUCT, among(RuleTarget.ref_id, "products")),
                and_(RuleTarget.kind == BRAND, among(RuleTarget.ref_id, "brands")),
                and_(RuleTarget.kind == CATEGORY, among(RuleTarget.ref_id, "categories"))))),
            live_filter(bindparam("now")), owned),
        coupon_rules=select(*RULE_COLUMNS).join(CouponCode, CouponCode.rule_id == Rule.id).where(
            among(CouponCode.code, "codes")),
        live=select(*RULE_COLUMNS).where(live_filter(bindparam("now")), owned),
        targets=select(RuleTarget.rule_id, RuleTarget.ref_id).where(among(RuleTarget.rule_id, "ids")),
        uses=select(CustomerUse.rule_id, CustomerUse.used).where(
            among(CustomerUse.rule_id, "ids"), CustomerUse.customer_ref == bindparam("customer_ref")),
        codes=select(CouponCode).where(among(CouponCode.code, "codes")).order_by(CouponCode.code))


def _run(name, **values):
    return db.session.execute(getattr(_statements(db.session.get_bind().dialect.name), name), values)


def candidate_rules(cart):
    """The live rules (rows of ``RULE_COLUMNS``) of the cart's merchant (and
    the platform's) whose scope names something in the cart, plus the rules
    of the coupon codes presented (live or not: the explanation says why one
    does not apply)."""
    lines = cart.lines
    found = _run("candidates", merchant_id=cart.merchant_id, now=cart.now,
                 skus=sorted({line.sku_id for line in lines}),
                 products=sorted({line.product_id for line in lines if line.product_id is not None}),
                 brands=sorted({line.brand_id for line in lines if line.brand_id is not None}),
                 categories=sorted(set().union(*(line.category_ids for line in lines))))
    rules = {rule.id: rule for rule in found}
    if cart.coupon_codes:
        for rule in _run("coupon_rules", codes=sorted(cart.coupon_codes)):
            rules.setdefault(rule.id, rule)
    return list(rules.values())


def all_live_rules(merchant_id, now):
    """Every live rule that could price the merchant's orders (the simulator explains them all)."""
    return list(_run("live", merchant_id=merchant_id, now=now))


def views_of(rules, cart):
    """Engine snapshots of ``rules`` (rows) with this cart's counters: their
    targets, per-customer uses, the presented code of each coupon rule and
    whether it is used up."""
    ids = [rule.id for rule in rules]
    targets, used, codes = {}, {}, {}
    if ids:
        for rule_id, ref_id in _run("targets", ids=ids):
            targets.setdefault(rule_id, set()).add(ref_id)
    if cart.customer_ref and ids:
        used = dict(_run("uses", ids=ids, customer_ref=cart.customer_ref).all())
    if cart.coupon_codes and ids:
        wanted = set(ids)
        # the codes are few (those presented); their rules are checked here
        for code in _run("codes", codes=sorted(cart.coupon_codes)).scalars():
            if code.rule_id in wanted:
                codes.setdefault(code.rule_id, code)
    return [rule_view(rule, targets.get(rule.id, ()), used.get(rule.id, 0), codes.get(rule.id), cart)
            for rule in rules]


@lru_cache(maxsize=8192)
def _params(text):
    """A rule's parameters; the engine only reads them, so one parsed copy serves every cart."""
    return json.loads(text or "{}")


def _ids(text):
    return frozenset(int(part) for part in text.split(",") if part.strip().isdigit())


def rule_view(rule, targets=(), customer_used=0, code=None, cart=None):
    """An engine ``RuleView`` of a rule (a row of ``RULE_COLUMNS``); a
    presented ``code`` is checked against the ``cart``'s customer when it was
    issued to one."""
    coupon = None
    if code is not None:
        spent = code.max_uses is not None and code.used_count >= code.max_uses
        bound = code.bound_to_other(cart.channel, cart.customer_ref) if cart is not None else False
        coupon = (code.code, code.id, "code_bound" if bound else "code_used_up" if spent else "")
    budget_left = None if rule.budget is None else Decimal(rule.budget) - Decimal(rule.budget_used)
    uses_left = None if rule.usage_limit is None else rule.usage_limit - rule.used_count
    return RuleView(
        id=rule.id, name=rule.name, kind=rule.kind, params=_params(rule.params_json), scope=rule.scope,
        targets=frozenset(targets), merchant_id=rule.merchant_id, status=rule.status,
        starts_at=rule.starts_at, ends_at=rule.ends_at, priority=rule.priority, exclusive=rule.exclusive,
        combines_with=_ids(rule.combines_with or ""), funder=rule.funder,
        platform_share=Decimal(rule.platform_share or 0),
        min_spend=None if rule.min_spend is None else Decimal(rule.min_spend),
        max_discount=None if rule.max_discount is None else Decimal(rule.max_discount),
        budget_left=budget_left, uses_left=uses_left, per_customer_limit=rule.per_customer_limit,
        customer_used=customer_used, coupon=coupon)


def evaluate_draft(draft, now=None, every_live_rule=False):
    """The engine's ``Outcome`` for an orders ``Draft``; with
    ``every_live_rule`` the verdicts cover all the merchant's live rules."""
    cart = cart_of(draft, now)
    rules = candidate_rules(cart)
    if every_live_rule:
        known = {rule.id for rule in rules}
        rules += [rule for rule in all_live_rules(cart.merchant_id, cart.now) if rule.id not in known]
    return evaluate(cart, views_of(rules, cart))


def adjustments_of(outcome):
    """The orders ``Adjustment`` per rule and line, negative amounts."""
    result = []
    for applied in outcome.applied:
        reason = applied.rule.name if applied.rule.coupon is None else f"{applied.rule.name} ({applied.rule.coupon[0]})"
        for index, units in applied.shares:
            result.append(Adjustment(SOURCE, KIND, reason, -to_money(units, outcome.cart.minor), index))
    return result


def stash_key(merchant_id, lines):
    """The key a priced draft and the order placed from it share: ``(sku id, qty, unit price)`` per line."""
    return (merchant_id, tuple((sku_id, int(qty), Decimal(price).normalize()) for sku_id, qty, price in lines))


def price_draft(draft):
    """The ``orders_price_draft`` answer: the discounts of every rule that applies."""
    outcome = evaluate_draft(draft)
    stash = db.session.info.setdefault(STASH, {})
    if len(stash) >= STASH_SIZE:  # a long-running worker prices many drafts it never places
        stash.pop(next(iter(stash)))
    stash[stash_key(draft.merchant_id, [(l.sku_id, l.qty, l.unit_price) for l in draft.lines])] = outcome
    return adjustments_of(outcome)


def priced_outcome(order):
    """What the draft of ``order`` was priced with in this session (removed from the stash), or None."""
    key = stash_key(order.merchant_id, [(line.sku_id, line.qty, line.unit_price) for line in order.lines])
    return db.session.info.get(STASH, {}).pop(key, None)


def funding(rule, amount, currency):
    """``(platform part, merchant part)`` of a discount ``amount`` (both signed like it)."""
    if rule.funder == "platform":
        return amount, Decimal(0)
    if rule.funder == "merchant":
        return Decimal(0), amount
    platform = quantize(amount * rule.platform_share / 100, currency)
    return platform, amount - platform


def coupon_rule_ids(codes):
    """Rule ids of the coupon codes given (for the simulator's notes)."""
    return set(db.session.execute(select(CouponCode.rule_id).join(Rule).where(
        CouponCode.code.in_(codes), Rule.kind == COUPON)).scalars())
