"""Promotions in orders: discounts recorded as the order's adjustments, the
explanation and the funders stored per order, usage and budgets taken when
the order is placed and given back when it is cancelled; merchants who
turned promotions off get none."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.orders.services import cancel, place, quote
from plugins.promotions.models import CouponCode, CustomerUse, OrderDiscount, OrderRecord, Rule
from portal.events import EventRejected
from portal.plugins import kernel
from tests.plugins.orders.helpers import buyer


def _place(store, lines, customer_ref="C-1", coupon_codes=()):
    return place(None, "portal", buyer(), lines, customer_ref, coupon_codes=coupon_codes).orders[0]


def _promotions(order):
    return [(a.reason, a.amount, a.line.sku_code if a.line else None) for a in order.adjustments
            if a.source == "promotions"]


def test_a_spend_tier_discount_is_recorded_on_the_order_with_its_explanation(db, store, make_rule):
    rule = make_rule(store.m, kind="tiers", tiers="100:20, 200:50", name="Spend 100 save 20")
    paused = make_rule(store.m, name="Paused 10%")
    from plugins.promotions.services import change_status
    change_status(None, paused, "pause")
    order = _place(store, [(store.a.id, 6), (store.b.id, 6)])  # 120.00
    assert order.total == Decimal("100.00")
    assert sorted(_promotions(order)) == [("Spend 100 save 20", Decimal("-10.00"), store.a.code),
                                          ("Spend 100 save 20", Decimal("-10.00"), store.b.code)]
    record = db.session.get(OrderRecord, order.id)
    explained = {entry["name"]: entry for entry in record.explanation}
    assert explained["Spend 100 save 20"]["applied"] is True
    assert "Paused 10%" not in explained  # paused rules are not live: not candidates
    assert {d.funder for d in record.discounts} == {"merchant"}
    assert db.session.get(Rule, rule.id).used_count == 1


def test_a_split_funded_discount_records_each_side(db, store, make_rule):
    make_rule(store.m, funder="split", platform_share="30", percent="10")
    order = _place(store, [(store.a.id, 3)])
    discounts = db.session.execute(select(OrderDiscount).where(OrderDiscount.order_id == order.id)).scalars().all()
    assert [(d.amount, d.platform_amount, d.merchant_amount) for d in discounts] == \
        [(Decimal("-3.0000"), Decimal("-0.9000"), Decimal("-2.1000"))]


def test_a_coupon_needs_its_code_and_counts_its_uses(db, store, make_rule):
    rule = make_rule(store.m, kind="coupon", benefit="amount", amount="5", code="SAVE5", usage_limit="1",
                     name="Save 5")
    assert _promotions(_place(store, [(store.a.id, 1)])) == []
    order = _place(store, [(store.a.id, 2)], coupon_codes=["save5"])
    assert _promotions(order) == [("Save 5 (SAVE5)", Decimal("-5.00"), store.a.code)]
    assert db.session.get(Rule, rule.id).used_count == 1
    used_up = _place(store, [(store.a.id, 1)], coupon_codes=["SAVE5"])
    assert _promotions(used_up) == []
    record = db.session.get(OrderRecord, used_up.id)
    assert [e["code"] for e in record.explanation] == ["uses_exhausted"]


def test_cancelling_an_order_gives_its_usage_budget_and_codes_back(db, store, make_rule):
    rule = make_rule(store.m, kind="coupon", benefit="amount", amount="5", code="ONCE", budget="100",
                     per_customer_limit="1", name="Once")
    order = _place(store, [(store.a.id, 2)], coupon_codes=["ONCE"])
    db.session.refresh(rule)
    assert (rule.used_count, rule.budget_used) == (1, Decimal("5"))
    assert db.session.get(CustomerUse, (rule.id, "C-1")).used == 1
    again = _place(store, [(store.a.id, 2)], coupon_codes=["ONCE"])
    assert _promotions(again) == []  # the customer had it once already
    cancel(None, order, "changed my mind")
    db.session.expire_all()
    rule = db.session.get(Rule, rule.id)
    assert (rule.used_count, rule.budget_used) == (0, Decimal("0"))
    assert db.session.get(CustomerUse, (rule.id, "C-1")).used == 0
    assert db.session.get(OrderRecord, order.id).released_at is not None
    third = _place(store, [(store.a.id, 2)], coupon_codes=["ONCE"])
    assert _promotions(third) == [("Once (ONCE)", Decimal("-5.00"), store.a.code)]


def test_a_use_taken_between_pricing_and_placing_refuses_the_order(db, store, make_rule, monkeypatch):
    rule = make_rule(store.m, usage_limit="1", name="Last one")
    from plugins.promotions.services import usage
    real_take = usage._take

    def racing(applied, outcome, record, order):
        # another order takes the last use after this one was priced
        db.session.execute(Rule.__table__.update().where(Rule.__table__.c.id == rule.id).values(used_count=1))
        return real_take(applied, outcome, record, order)
    monkeypatch.setattr(usage, "_take", racing)
    with pytest.raises(EventRejected, match="Last one"):
        _place(store, [(store.a.id, 1)])


def test_quote_shows_the_discount_and_writes_nothing(db, store, make_rule):
    rule = make_rule(store.m, kind="amount", amount="3", name="Three off")
    priced = quote(None, [(store.a.id, 1)], "CN-GD", coupon_codes="")
    assert priced[0].total == Decimal("7.00")
    assert db.session.get(Rule, rule.id).used_count == 0
    assert db.session.execute(select(OrderRecord)).first() is None


def test_a_merchant_that_turned_promotions_off_gets_no_discount(db, store, make_rule):
    make_rule(store.m, name="Ten")
    kernel().set_enabled("promotions", False, merchant_id=store.m.id)
    order = _place(store, [(store.a.id, 2)])
    assert _promotions(order) == [] and order.total == Decimal("20.00")
    assert db.session.get(OrderRecord, order.id) is None


def test_platform_rules_apply_to_every_merchant_and_merchant_rules_to_their_own(db, store, make_rule):
    make_rule(None, name="Platform 10", funder="platform")
    make_rule(store.other, name="Other 50", percent="50")
    order = _place(store, [(store.a.id, 1)])
    assert _promotions(order) == [("Platform 10", Decimal("-1.00"), store.a.code)]
    assert db.session.execute(select(OrderDiscount.funder, OrderDiscount.platform_amount).where(
        OrderDiscount.order_id == order.id)).all() == [("platform", Decimal("-1.0000"))]


def test_an_unknown_coupon_code_format_is_refused_naming_the_field(db, store):
    from plugins.orders.services import InvalidField
    with pytest.raises(InvalidField) as refused:
        _place(store, [(store.a.id, 1)], coupon_codes=["bad code!"])
    assert refused.value.field == "coupon_codes"


def test_the_api_takes_coupon_codes(db, store, make_rule, client):
    from plugins.orders.services.intake import read_order
    make_rule(store.m, kind="coupon", benefit="percent", percent="50", code="HALF")
    body = {"channel": "shop", "buyer": buyer(), "lines": [{"sku_id": store.a.id, "qty": 2}],
            "coupon_codes": ["half"]}
    assert read_order(body, store.m.id)[4] == ("HALF",)
    from plugins.orders.services.intake import ApiError
    with pytest.raises(ApiError) as refused:
        read_order({**body, "coupon_codes": "HALF"}, store.m.id)
    assert refused.value.body["errors"][0]["field"] == "coupon_codes"
    code = db.session.execute(select(CouponCode).where(CouponCode.code == "HALF")).scalar_one()
    assert code.used_count == 0
