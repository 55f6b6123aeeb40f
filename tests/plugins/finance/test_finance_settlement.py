"""Settlement: commission rules, idempotent runs, refunds after settlement,
provider fees, approval by a second person, and the invariant
payout + commission + fees = captured - refunded, to the cent."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from sqlalchemy import func, select

from plugins.finance.models import CommissionRule, Settlement, SettlementLine
from plugins.finance.services import FinanceError
from plugins.finance.services.settlement import (approve, choose_rule, last_ended_period, line_amounts,
                                                 run_settlements)
from plugins.orders.models import CANCELLED, CLOSED, PENDING_SHIPMENT, REFUND, Payment
from plugins.orders.services import cancel
from portal import settings
from portal.models import utcnow
from tests.conftest import create_user
from tests.plugins.orders.helpers import order_in

cents = st.integers(min_value=1, max_value=10_000_000).map(lambda n: Decimal(n) / 100)


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["sale", "refund"]), cents, cents), min_size=1, max_size=30),
       st.integers(min_value=0, max_value=300_000).map(lambda n: Decimal(n) / 10_000),
       st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100),
       st.booleans())
def test_payout_commission_and_fees_add_up_to_captured_less_refunded(app, lines, percent, fixed, free):
    with app.app_context():
        _check_lines(lines, percent, fixed, free)


def _check_lines(lines, percent, fixed, free):
    totals = [Decimal(0)] * 5
    for kind, amount, fee in lines:
        signed = amount if kind == "sale" else -amount
        figures = line_amounts(kind, signed, percent, fixed, fee / 10, "CNY", commission_free=free)
        captured, refunded, commission, fees, payout = figures
        assert payout + commission + fees == captured - refunded
        assert all(v == v.quantize(Decimal("0.01")) for v in figures)
        totals = [t + v for t, v in zip(totals, figures)]
    captured, refunded, commission, fees, payout = totals
    assert payout + commission + fees == captured - refunded


def test_periods_weekly_and_monthly():
    assert last_ended_period(date(2026, 3, 4), "weekly") == (date(2026, 2, 23), date(2026, 3, 2))
    assert last_ended_period(date(2026, 3, 4), "monthly") == (date(2026, 2, 1), date(2026, 3, 1))
    assert last_ended_period(date(2026, 1, 15), "monthly") == (date(2025, 12, 1), date(2026, 1, 1))


def _rule(db, name="all", percent="5", fixed="1.00", priority=0, merchant=None, category=None,
          valid_from=date(2000, 1, 1), valid_to=None, fee_bearer="merchant"):
    rule = CommissionRule(name=name, percent=Decimal(percent), fixed=Decimal(fixed), priority=priority,
                          merchant_id=merchant.id if merchant else None, category_id=category,
                          valid_from=valid_from, valid_to=valid_to, fee_bearer=fee_bearer)
    db.session.add(rule)
    db.session.flush()
    return rule


def test_the_rule_of_highest_priority_valid_that_day_applies(db, store):
    general = _rule(db, "general", priority=0)
    special = _rule(db, "special", percent="3", priority=10, merchant=store.m, valid_to=date(2026, 6, 30))
    other = _rule(db, "other merchant", percent="1", priority=50, merchant=store.other)
    rules = [general, special, other]
    assert choose_rule(rules, store.m.id, None, date(2026, 6, 30)) is special
    assert choose_rule(rules, store.m.id, None, date(2026, 7, 1)) is general
    assert choose_rule(rules, store.other.id, None, date(2026, 7, 1)) is other
    assert choose_rule([special], store.m.id, None, date(1999, 1, 1)) is None


NEXT_MONTH = (utcnow() + timedelta(days=40)).date()


def _closed_orders(store, n):
    return [order_in(store, CLOSED) for _ in range(n)]


def test_a_run_settles_closed_orders_once_and_is_idempotent(db, store):
    _rule(db, percent="5", fixed="1.00")
    orders = _closed_orders(store, 2)
    order_in(store, PENDING_SHIPMENT)  # paid, not closed: waits
    created = run_settlements(None, today=NEXT_MONTH, merchant_ids=[store.m.id])
    [settlement] = created
    total = sum((o.total for o in orders), Decimal(0))
    commission = sum((Decimal(o.total) * Decimal("0.05") + 1 for o in orders), Decimal(0)).quantize(Decimal("0.01"))
    assert (settlement.captured, settlement.commission, settlement.refunded) == (total, commission, 0)
    assert settlement.payout + settlement.commission + settlement.fees == settlement.captured - settlement.refunded
    assert len(settlement.lines) == 2 and settlement.status == "ready"
    before = db.session.execute(select(func.count()).select_from(SettlementLine)).scalar()
    assert run_settlements(None, today=NEXT_MONTH, merchant_ids=[store.m.id]) == []
    assert db.session.execute(select(func.count()).select_from(SettlementLine)).scalar() == before


def test_a_refund_after_settlement_is_a_negative_line_next_period(db, store):
    _rule(db, percent="10", fixed="0")
    [order] = _closed_orders(store, 1)
    [first] = run_settlements(None, today=NEXT_MONTH, merchant_ids=[store.m.id])
    db.session.add(Payment(order_id=order.id, merchant_id=order.merchant_id, kind=REFUND, method="alipay",
                           amount=Decimal("-5.00"), currency=order.currency, paid_at=utcnow()))
    db.session.flush()
    [second] = run_settlements(None, today=NEXT_MONTH + timedelta(days=31), merchant_ids=[store.m.id])
    [line] = second.lines
    assert (line.kind, line.refunded, line.commission, line.payout) == (
        "refund", Decimal("5.00"), Decimal("-0.50"), Decimal("-4.50"))
    assert second.payout + second.commission + second.fees == second.captured - second.refunded
    assert first.period_start < second.period_start


def test_a_cancelled_order_is_settled_without_commission(db, store):
    _rule(db, percent="10", fixed="2.00")
    order = order_in(store, PENDING_SHIPMENT)
    cancel(None, order, "no stock")
    assert order.state == CANCELLED
    [settlement] = run_settlements(None, today=NEXT_MONTH, merchant_ids=[store.m.id])
    assert (settlement.captured, settlement.refunded, settlement.commission, settlement.payout) == (
        order.total, order.total, 0, 0)


def test_a_large_payout_waits_for_a_second_person(db, store):
    settings.set_value("finance.payout_approval_above", "1", actor=None)
    runner, approver = create_user("finance"), create_user("finance")
    _closed_orders(store, 1)
    [settlement] = run_settlements(runner, today=NEXT_MONTH, merchant_ids=[store.m.id])
    assert settlement.status == "awaiting_approval"
    with pytest.raises(FinanceError, match="second person"):
        approve(runner, settlement)
    approve(approver, settlement)
    assert (settlement.status, settlement.approved_by_id) == ("approved", approver.id)
    with pytest.raises(FinanceError, match="not waiting"):
        approve(approver, settlement)


def test_merchants_cannot_run_or_approve(db, store):
    from portal.access import AccessDenied
    with pytest.raises(AccessDenied):
        run_settlements(create_user("merchant_admin", store.m), today=NEXT_MONTH)


def test_the_invariant_holds_for_every_settlement_of_a_run(db, store):
    _rule(db, percent="3.3333", fixed="0.07")
    orders = _closed_orders(store, 3)
    db.session.add(Payment(order_id=orders[0].id, merchant_id=orders[0].merchant_id, kind=REFUND,
                           method="alipay", amount=Decimal("-3.33"), currency="CNY", paid_at=utcnow()))
    db.session.flush()
    run_settlements(None, today=NEXT_MONTH)
    for settlement in db.session.execute(select(Settlement)).scalars():
        assert settlement.payout + settlement.commission + settlement.fees == \
            settlement.captured - settlement.refunded
        assert settlement.payout == sum((line.payout for line in settlement.lines), Decimal(0))
