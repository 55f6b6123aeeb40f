"""Receivables: every order payment is money the platform expects on one of
its accounts, every refund money it expects to pay out (a negative
receivable). They are kept from the orders' events, so a payment recorded
through any path (staff, API, notification) becomes one."""
from sqlalchemy import select

from plugins.orders.models import Order, Payment
from portal.extensions import db

from ..models import Account, Receivable


def _accounts_by_method():
    accounts = {}
    for account in db.session.execute(select(Account).order_by(Account.id)).scalars():
        for method in filter(None, (m.strip().lower() for m in account.methods.split(","))):
            accounts.setdefault((method, account.currency), account.id)
    return accounts


def sync_order(order_id):
    """Add a receivable for each payment or refund of the order not yet
    known; returns the new ones. Running it twice adds nothing."""
    known = select(Receivable.payment_id).where(Receivable.order_id == order_id)
    payments = db.session.execute(select(Payment).where(Payment.order_id == order_id, Payment.id.not_in(known))
                                  .order_by(Payment.id)).scalars().all()
    if not payments:
        return []
    order = db.session.get(Order, order_id)
    accounts = _accounts_by_method()
    created = []
    for payment in payments:
        receivable = Receivable(payment_id=payment.id, order_id=order.id, order_number=order.number,
                                merchant_id=order.merchant_id, channel=payment.method, kind=payment.kind,
                                account_id=accounts.get((payment.method, payment.currency)),
                                amount=payment.amount, currency=payment.currency,
                                reference=payment.provider_ref or "", due_on=payment.paid_at)
        db.session.add(receivable)
        created.append(receivable)
    db.session.flush()
    return created


def on_order_event(event):
    """Payments and refunds of the order behind ``event`` become receivables,
    and lines already waiting for them are matched at once."""
    created = sync_order(event.order_id)
    if created:
        from .matching import match_waiting_lines
        match_waiting_lines(created)
    return created
