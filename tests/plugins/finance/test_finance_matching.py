"""Receivables from the orders' payments and refunds, automatic matching,
every kind of mismatch flag, and matching by hand."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.finance.models import (AMOUNT_DIFFERS, CURRENCY_DIFFERS, DUPLICATE, NOT_RECEIVED, UNPAID_ORDER,
                                    Flag, Match, Receivable, StatementLine)
from plugins.finance.services import (FinanceError, check_unreceived, import_file, match_by_hand, set_status,
                                      unmatch)
from plugins.orders.models import CANCELLED, PENDING_PAYMENT, PENDING_SHIPMENT
from plugins.orders.services import cancel
from portal.models import AuditLog, utcnow
from tests.conftest import create_user
from tests.plugins.finance.helpers import mt940
from tests.plugins.orders.helpers import order_in, place_one


def receivables(db, order):
    return db.session.execute(select(Receivable).where(Receivable.order_id == order.id)
                              .order_by(Receivable.id)).scalars().all()


def flags(db, kind=None):
    query = select(Flag).order_by(Flag.id)
    if kind:
        query = query.where(Flag.kind == kind)
    return db.session.execute(query).scalars().all()


def day(order, shift=0):
    return (utcnow().date() + timedelta(days=shift)).strftime("%y%m%d")


def cents(amount):
    return f"{Decimal(amount):.2f}".replace(".", ",")


def line_for(order, amount=None, reference=None, shift=0, mark="C"):
    return (day(order, shift), mark, cents(amount if amount is not None else order.total),
            reference or order.number, f"PAYMENT {order.number}")


def test_a_paid_order_is_a_receivable_and_a_refund_a_negative_one(db, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    [payment] = receivables(db, order)
    assert (payment.kind, payment.amount, payment.channel, payment.reference, payment.account_id) == (
        "payment", order.total, "alipay", f"PAY-{order.number}", account.id)
    cancel(None, order, "out of stock")
    refund = receivables(db, order)[1]
    assert (refund.kind, refund.amount) == ("refund", -order.total)
    assert order.state == CANCELLED


def test_a_line_is_matched_by_reference_amount_and_date(db, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    result = import_file(None, account, "s.sta", mt940([line_for(order, reference=f"PAY-{order.number}")]))
    assert result.matched == 1
    [receivable] = receivables(db, order)
    assert receivable.status == "matched" and receivable.matches[0].automatic
    assert flags(db) == []


def test_a_line_without_reference_is_matched_when_its_amount_is_unique(db, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    line = (day(order), "C", cents(order.total), "NONREF", "TRANSFER FROM LI LEI")
    assert import_file(None, account, "s.sta", mt940([line])).matched == 1


def test_two_receivables_of_the_same_amount_are_left_for_a_person(db, store, account):
    first, second = order_in(store, PENDING_SHIPMENT), order_in(store, PENDING_SHIPMENT)
    assert first.total == second.total
    line = (day(first), "C", cents(first.total), "NONREF", "TRANSFER")
    assert import_file(None, account, "s.sta", mt940([line])).matched == 0


def test_a_line_outside_the_date_window_is_not_matched(db, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    assert import_file(None, account, "s.sta", mt940([line_for(order, shift=10)])).matched == 0


def test_a_line_arriving_before_its_payment_is_matched_when_the_payment_comes(db, store, account):
    order = place_one(store)
    import_file(None, account, "early.sta", mt940([line_for(order)]))
    assert [f.kind for f in flags(db)] == [UNPAID_ORDER]
    from tests.plugins.orders.helpers import pay_in_full
    pay_in_full(order)
    assert receivables(db, order)[0].status == "matched"


def test_amount_differs_is_flagged(db, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    import_file(None, account, "s.sta", mt940([line_for(order, amount=order.total - 1)]))
    [flag] = flags(db)
    assert flag.kind == AMOUNT_DIFFERS and order.number in flag.detail and flag.status == "open"
    assert receivables(db, order)[0].status == "unmatched"


@pytest.mark.parametrize("state", [PENDING_PAYMENT, CANCELLED])
def test_money_for_an_unpaid_or_cancelled_order_is_flagged(db, store, account, state):
    order = order_in(store, state)
    import_file(None, account, "s.sta", mt940([line_for(order)]))
    [flag] = flags(db)
    assert flag.kind == UNPAID_ORDER and flag.order_number == order.number


def test_the_same_payment_received_twice_is_flagged(db, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    import_file(None, account, "s.sta", mt940([line_for(order), line_for(order, shift=1)]))
    [flag] = flags(db)
    assert flag.kind == DUPLICATE and flag.receivable.order_id == order.id


def test_a_currency_that_differs_is_flagged(db, store, eur_account):
    order = order_in(store, PENDING_SHIPMENT)
    import_file(None, eur_account, "s.sta", mt940([line_for(order)], currency="EUR"))
    [flag] = flags(db)
    assert flag.kind == CURRENCY_DIFFERS and "EUR" in flag.detail and "CNY" in flag.detail


def test_the_scheduled_check_flags_a_payment_with_no_line_and_resolves_it_later(db, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    assert check_unreceived() == (0, 0)
    later = utcnow() + timedelta(days=4)
    assert check_unreceived(now=later) == (1, 0)
    assert check_unreceived(now=later) == (0, 0)  # raised once
    assert flags(db, NOT_RECEIVED)[0].status == "open"
    import_file(None, account, "s.sta", mt940([line_for(order)]))
    assert check_unreceived(now=later) == (0, 1)
    assert flags(db, NOT_RECEIVED)[0].status == "resolved"


def test_a_flag_is_explained_with_a_reason_and_audited(db, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    import_file(None, account, "s.sta", mt940([line_for(order, amount=order.total - 1)]))
    [flag] = flags(db)
    user = create_user("finance")
    with pytest.raises(FinanceError, match="Reason"):
        set_status(user, flag, "explained", " ")
    set_status(user, flag, "explained", "Bank charged a transfer fee")
    assert (flag.status, flag.reason) == ("explained", "Bank charged a transfer fee")
    assert db.session.execute(select(AuditLog.action).where(AuditLog.action == "finance.flag_status")).scalar()


def _unmatched_line(db):
    return db.session.execute(select(StatementLine).where(StatementLine.status == "unmatched")).scalar_one()


def test_a_line_is_split_over_two_receivables_by_hand_and_undone(db, store, account):
    first, second = order_in(store, PENDING_SHIPMENT), order_in(store, PENDING_SHIPMENT)
    both = first.total + second.total
    import_file(None, account, "s.sta", mt940([(day(first), "C", cents(both), "NONREF", "TWO ORDERS")]))
    line = _unmatched_line(db)
    user = create_user("finance")
    [r1], [r2] = receivables(db, first), receivables(db, second)
    match_by_hand(user, line, [(r1, first.total), (r2, second.total)])
    assert (line.status, r1.status, r2.status) == ("matched", "matched", "matched")
    unmatch(user, line)
    assert (line.status, r1.status, r2.status, line.matched) == ("unmatched", "unmatched", "unmatched", 0)
    assert db.session.execute(select(Match)).first() is None
    actions = db.session.execute(select(AuditLog.action).where(AuditLog.plugin == "finance")
                                 .order_by(AuditLog.id)).scalars().all()
    assert actions[-2:] == ["finance.match", "finance.unmatch"]


def test_matching_by_hand_refuses_what_does_not_add_up(db, store, account, eur_account):
    order = order_in(store, PENDING_SHIPMENT)
    import_file(None, account, "s.sta", mt940([(day(order), "C", "5,00", "NONREF", "PART")]))
    line = _unmatched_line(db)
    [receivable] = receivables(db, order)
    user = create_user("finance")
    with pytest.raises(FinanceError, match="more than the 5.00"):
        match_by_hand(user, line, [(receivable, Decimal("6.00"))])
    with pytest.raises(FinanceError, match="more decimals"):
        match_by_hand(user, line, [(receivable, Decimal("1.001"))])
    with pytest.raises(FinanceError, match="sign"):
        match_by_hand(user, line, [(receivable, Decimal("-1.00"))])
    with pytest.raises(FinanceError, match="at least one"):
        match_by_hand(user, line, [])
    match_by_hand(user, line, [(receivable, Decimal("5.00"))])
    assert (line.status, receivable.status, receivable.matched) == ("matched", "unmatched", Decimal("5.00"))
