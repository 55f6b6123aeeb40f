"""Payments: recorded per order by staff or by a payment notification,
idempotent on the provider's reference (per payment method), in the order's
currency; when they cover the total the order is paid."""
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.money import MoneyError, quantize, to_decimal

from ..models import PAYMENT, PENDING_PAYMENT, Payment
from .core import audit, now_or, reach, text
from .errors import InvalidPayment, PaymentConflict, state_label
from .lifecycle import paid_amount, pay


def record_payment(actor, order, method, amount, currency, provider_ref=None, paid_at=None, now=None):
    """Record money received for ``order``; returns the ``Payment``. The same
    ``(method, provider_ref)`` again returns the payment already recorded and
    changes nothing (a notification delivered twice); the same reference with
    another order or amount is a ``PaymentConflict``. Refused
    (``InvalidPayment``): another currency than the order's, an amount that is
    not positive, has more decimals than the currency, or exceeds what is
    still owed, and an order not waiting for payment. Marks the order paid
    when its payments cover the total."""
    reach(actor, order)
    method = text(method, "method", 32, required=True).lower()
    provider_ref = text(provider_ref, "provider_ref", 128) or None
    if provider_ref is not None:
        existing = _recorded(method, provider_ref)
        if existing is not None:
            return _same_or_conflict(existing, order, method, provider_ref, amount, currency)
    amount = _amount(order, amount, currency)
    owed = _owed(order, amount)
    now = now_or(now)
    try:
        with db.session.begin_nested():
            payment = Payment(order_id=order.id, merchant_id=order.merchant_id, kind=PAYMENT, method=method,
                              amount=amount, currency=order.currency, provider_ref=provider_ref,
                              paid_at=paid_at or now, recorded_by_id=getattr(actor, "id", None), created_at=now)
            db.session.add(payment)
            db.session.flush()
            audit("payment", actor, order, payment=payment.id, method=method, amount=str(amount),
                  currency=order.currency, provider_ref=provider_ref)
            if amount == owed:
                pay(actor, order, now=now)
    except IntegrityError:
        # a concurrent delivery of the same notification won the unique reference
        existing = _recorded(method, provider_ref) if provider_ref else None
        if existing is None:
            raise
        return _same_or_conflict(existing, order, method, provider_ref, amount, currency)
    return payment


def _owed(order, amount):
    """What the order still owes, refusing a payment it cannot take."""
    if order.state != PENDING_PAYMENT:
        raise InvalidPayment(_("Order %(order)s is not waiting for payment (it is %(state)s); nothing recorded.",
                               order=order.number, state=state_label(order.state)))
    owed = quantize(order.total - paid_amount(order), order.currency)
    if amount > owed:
        raise InvalidPayment(_("Order %(order)s: %(amount)s %(currency)s is more than the %(owed)s %(currency)s "
                               "still owed; nothing recorded.", order=order.number, amount=amount,
                               currency=order.currency, owed=owed))
    return owed


def _recorded(method, provider_ref):
    return db.session.execute(select(Payment).where(Payment.method == method, Payment.provider_ref == provider_ref)
                              ).scalar_one_or_none()


def _same_or_conflict(existing, order, method, provider_ref, amount, currency):
    try:
        same = (existing.order_id == order.id and existing.currency == str(currency or "").strip().upper()
                and existing.amount == to_decimal(amount))
    except (MoneyError, TypeError):
        same = False
    if not same:
        raise PaymentConflict(method, provider_ref, existing.order.number)
    return existing


def _amount(order, amount, currency):
    code = str(currency or "").strip().upper()
    if code != order.currency:
        raise InvalidPayment(_("Order %(order)s is in %(expected)s; a payment in %(currency)s cannot be "
                               "recorded against it.", order=order.number, expected=order.currency,
                               currency=code or _("no currency")))
    try:
        value = to_decimal(amount)
    except (MoneyError, TypeError):
        raise InvalidPayment(_("amount: %(value)r is not a number.", value=amount)) from None
    if value <= 0:
        raise InvalidPayment(_("amount: a payment must be above zero."))
    if quantize(value, code) != value:
        raise InvalidPayment(_("amount: %(value)s has more decimals than %(currency)s allows.", value=value,
                               currency=code))
    return Decimal(value)
