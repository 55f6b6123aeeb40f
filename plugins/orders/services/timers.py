"""The timers (scheduled jobs): cancel orders not paid in time, complete
shipped orders the buyer never confirmed, close orders whose after-sales
window passed. Each takes ``now`` (a test's frozen clock), works through the
due orders in batches by id and commits each order on its own: an order
another process moved meanwhile is skipped, a second run finds nothing left,
and one order a listener refuses does not stop the others."""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal import settings
from portal.extensions import db

from ..events import OrderClosed, OrderCompleted
from ..models import CANCELLED, CLOSED, COMPLETED, PENDING_PAYMENT, PENDING_RECEIPT, Order
from .core import now_or
from .lifecycle import _after_cancel
from .machine import log, move_by_id

BATCH = 200


def _due(condition, after_id, batch):
    ids = db.session.execute(select(Order.id).where(condition, Order.id > after_id).order_by(Order.id)
                             .limit(batch)).scalars().all()
    db.session.commit()  # the listing's read ends here: each order starts with its write
    return ids


def _run(condition, one, batch):
    """Apply ``one(order_id)`` to every due order, each in its own
    transaction, batch after batch by id (an order that fails is not tried
    again in the same run); ``(done, failed)``."""
    done, failed, after_id = 0, 0, 0
    while True:
        ids = _due(condition, after_id, batch)
        if not ids:
            break
        for order_id in ids:
            after_id = order_id
            try:
                changed = one(order_id)
            except Exception as exc:  # noqa: BLE001 - one order must not stop the rest
                db.session.rollback()
                current_app.logger.warning("orders timer: order %s: %s", order_id, exc)
                failed += 1
                continue
            db.session.commit()
            done += bool(changed)
    return done, failed


def _message(what, done, failed):
    return f"{done} order(s) {what}" + (f", {failed} failed (see the log)" if failed else "")


def cancel_unpaid(now=None, batch=BATCH):
    """Cancel orders still unpaid ``orders.unpaid_cancel_minutes`` after they
    were placed, releasing their stock. Returns a message."""
    now = now_or(now)
    cutoff = now - timedelta(minutes=settings.get("orders.unpaid_cancel_minutes"))
    db.session.commit()
    note = _("Not paid in time: cancelled automatically.")

    def one(order_id):
        order = move_by_id(order_id, PENDING_PAYMENT, CANCELLED, now, conditions=(Order.placed_at <= cutoff,))
        if order is not None:
            _after_cancel(None, order, PENDING_PAYMENT, note, now, automatic=True)
        return order

    done, failed = _run((Order.state == PENDING_PAYMENT) & (Order.placed_at <= cutoff), one, batch)
    return _message("cancelled", done, failed)


def complete_shipped(now=None, batch=BATCH):
    """Complete orders shipped ``orders.auto_complete_days`` ago and not yet
    confirmed; their after-sales window opens. Returns a message."""
    now = now_or(now)
    cutoff = now - timedelta(days=settings.get("orders.auto_complete_days"))
    deadline = now + timedelta(days=settings.get("orders.after_sales_days"))
    db.session.commit()
    note = _("Not confirmed by the buyer: completed automatically.")

    def one(order_id):
        order = move_by_id(order_id, PENDING_RECEIPT, COMPLETED, now, {"after_sales_deadline": deadline},
                           (Order.shipped_at <= cutoff,))
        if order is not None:
            log(None, order, PENDING_RECEIPT, COMPLETED,
                OrderCompleted(order.id, order.number, order.merchant_id, True), note=note, now=now,
                after_sales_deadline=deadline.isoformat())
        return order

    done, failed = _run((Order.state == PENDING_RECEIPT) & (Order.shipped_at <= cutoff), one, batch)
    return _message("completed", done, failed)


def close_after_sales(now=None, batch=BATCH):
    """Close completed orders whose after-sales window has passed. Returns a message."""
    now = now_or(now)
    db.session.commit()
    note = _("The after-sales window passed: closed automatically.")

    def one(order_id):
        order = move_by_id(order_id, COMPLETED, CLOSED, now, conditions=(Order.after_sales_deadline < now,))
        if order is not None:
            log(None, order, COMPLETED, CLOSED, OrderClosed(order.id, order.number, order.merchant_id, True),
                note=note, now=now)
        return order

    done, failed = _run((Order.state == COMPLETED) & (Order.after_sales_deadline < now), one, batch)
    return _message("closed", done, failed)
