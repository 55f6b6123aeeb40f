"""Payments: idempotent on the provider's reference, in the order's currency,
never more than is owed, and the order paid once they cover its total."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.orders.models import Payment
from plugins.orders.services import InvalidPayment, PaymentConflict, paid_amount, record_payment
from tests.conftest import create_user
from tests.plugins.orders.helpers import audit_actions, count, history, make_sku, order_in, place_one


def test_the_same_notification_twice_records_one_payment(db, store):
    order = place_one(store)
    first = record_payment(None, order, "Alipay", "20.00", "cny", "2024061122001")
    again = record_payment(None, order, "alipay", Decimal("20"), "CNY", "2024061122001")
    assert again.id == first.id and count(db, Payment) == 1
    assert (first.method, first.amount, first.currency, first.kind) == ("alipay", Decimal("20.00"), "CNY", "payment")
    assert order.state == "pending_shipment"
    assert audit_actions(db).count("orders.payment") == 1
    assert history(db, order) == [(None, "pending_payment"), ("pending_payment", "pending_shipment")]


def test_a_reference_is_unique_per_method_only(db, store):
    order = place_one(store)
    record_payment(None, order, "alipay", "5.00", "CNY", "REF-1")
    record_payment(None, order, "wechat", "5.00", "CNY", "REF-1")
    assert count(db, Payment) == 2 and paid_amount(order) == Decimal("10.00")


def test_a_reference_reused_for_another_order_or_amount_is_a_conflict(db, store):
    order, other = place_one(store), place_one(store)
    record_payment(None, order, "alipay", "5.00", "CNY", "REF-1")
    with pytest.raises(PaymentConflict, match=f"alipay payment REF-1 is already recorded, for order {order.number}"):
        record_payment(None, other, "alipay", "5.00", "CNY", "REF-1")
    with pytest.raises(PaymentConflict):
        record_payment(None, order, "alipay", "6.00", "CNY", "REF-1")
    assert count(db, Payment) == 1


def test_payments_without_reference_are_each_recorded(db, store):
    order = place_one(store)
    record_payment(None, order, "cash", "10.00", "CNY")
    record_payment(None, order, "cash", "10.00", "CNY", "")
    assert count(db, Payment) == 2 and order.state == "pending_shipment"


@pytest.mark.parametrize("amount, currency, message", [
    ("20.00", "USD", "is in CNY; a payment in USD cannot be recorded"),
    ("0", "CNY", "must be above zero"),
    ("-5", "CNY", "must be above zero"),
    ("10.001", "CNY", "has more decimals than CNY allows"),
    ("twenty", "CNY", "is not a number"),
    (20.0, "CNY", "is not a number"),
    ("20.01", "CNY", "more than the 20.00 CNY still owed"),
])
def test_a_payment_that_cannot_be_right_is_refused_and_nothing_recorded(db, store, amount, currency, message):
    order = place_one(store)
    with pytest.raises(InvalidPayment, match=message):
        record_payment(None, order, "alipay", amount, currency, "REF-1")
    assert count(db, Payment) == 0 and order.state == "pending_payment"


def test_an_order_not_waiting_for_payment_takes_none_but_a_repeat_is_still_answered(db, store):
    order = order_in(store, "pending_shipment")
    with pytest.raises(InvalidPayment, match="is not waiting for payment \\(it is pending shipment\\)"):
        record_payment(None, order, "alipay", "1.00", "CNY", "LATE")
    repeat = record_payment(None, order, "alipay", order.total, "CNY", f"PAY-{order.number}")
    assert repeat.order_id == order.id and count(db, Payment) == 1
    cancelled = order_in(store, "cancelled")
    with pytest.raises(InvalidPayment, match="it is cancelled"):
        record_payment(None, cancelled, "alipay", "20.00", "CNY", "TOO-LATE")


def test_a_currency_without_minor_units_takes_whole_amounts(db, store):
    yen = make_sku(db, store.m, price="1999", currency="JPY")
    from plugins.inventory.services import increase
    increase(None, yen.id, store.sh.id, 5, "GRN")
    order = place_one(store, [(yen.id, 1)])
    with pytest.raises(InvalidPayment, match="more decimals than JPY"):
        record_payment(None, order, "card", "1999.50", "JPY", "J-1")
    record_payment(None, order, "card", "1999", "JPY", "J-1")
    assert order.state == "pending_shipment"


def test_the_recording_user_is_kept(db, store):
    staff = create_user("merchant_staff", store.m)
    order = place_one(store)
    payment = record_payment(staff, order, "bank_transfer", "20.00", "CNY", "BT-1")
    assert payment.recorded_by_id == staff.id
    assert db.session.execute(select(Payment.provider_ref)).scalar() == "BT-1"
