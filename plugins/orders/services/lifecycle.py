"""The lifecycle's actions, one per transition of ``machine.TRANSITIONS``:
each checks who acts (``reach``) and whether the order may make the change,
moves it, does what the change means for stock and money, and logs it
(history, audit, event), all in one savepoint: an error or a listener
refusing the event leaves nothing written."""
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from plugins.inventory.services import InsufficientStock
from portal import settings
from portal.access import AccessDenied
from portal.events import publish
from portal.extensions import db
from portal.money import quantize

from ..events import (AfterSalesRequested, OrderCancelled, OrderClosed, OrderCompleted, OrderPaid, OrderShipped,
                      ShipmentShipped)
from ..models import (AFTER_SALES, CANCELLED, CASE_OPEN, CLOSED, COMPLETED, LIVE_STATES, PENDING_RECEIPT,
                      PENDING_SHIPMENT, REFUND, SHIPMENT_CANCELLED, SHIPMENT_PENDING, SHIPMENT_SHIPPED, AfterSalesCase,
                      Order, Payment)
from . import stock
from .core import ORDER, REFUND as REFUND_RESOURCE, audit, now_or, reach, text
from .errors import InvalidField, InvalidTransition, NotPaid, OrderNotFound, OrderNotLive, UnallocatedLine
from .machine import (CANCEL, CLOSE, PAY, RECEIVE, REQUEST_AFTER_SALES, SHIP, TRANSITIONS, check, log, move)


def paid_amount(order):
    """Payments less refunds recorded for the order."""
    # summed here: SQLite would sum NUMERIC as floating point
    amounts = db.session.execute(select(Payment.amount).where(Payment.order_id == order.id)).scalars()
    return sum(amounts, Decimal(0))


def pay(actor, order, note="", now=None):
    """Payments cover the total: ``pending_payment -> pending_shipment``. The
    reservations no longer expire; units whose reservation lapsed before the
    payment are reserved again when the stock allows (else the inventory's
    check reports the line, and shipping waits for it)."""
    reach(actor, order)
    check(order, PENDING_SHIPMENT)
    paid = paid_amount(order)
    if paid < order.total:
        raise NotPaid(order.number, quantize(paid, order.currency), quantize(order.total, order.currency),
                      order.currency)
    now = now_or(now)
    with db.session.begin_nested():
        from_state = move(order, PENDING_SHIPMENT, now)
        stock.keep(order)
        missing = _reserve_lapsed(order, now)
        log(actor, order, from_state, PENDING_SHIPMENT,
            OrderPaid(order.id, order.number, order.merchant_id, quantize(paid, order.currency), order.currency),
            note=" ".join(filter(None, [note, missing])), now=now, paid=str(paid))
    return order


def _reserve_lapsed(order, now):
    """Reserve again what lapsed; a sentence for the history when the stock
    cannot serve it."""
    try:
        with db.session.begin_nested():
            stock.reserve_missing(order, now, paid=True)
    except InsufficientStock as exc:
        return _("Stock for SKU %(sku)s could not be reserved again: %(error)s", sku=exc.sku_id, error=exc)
    return ""


def allocate_again(actor, order, now=None):
    """Reserve what the lines of a live order lack (their reservations expired
    or were released): the new locks; ``InsufficientStock`` and nothing
    reserved when the stock cannot serve them."""
    reach(actor, order)
    if order.state not in LIVE_STATES:
        raise OrderNotLive(order.number, order.state)
    with db.session.begin_nested():
        locks = stock.reserve_missing(order, now, paid=order.state == PENDING_SHIPMENT)
        if locks:
            audit("allocate", actor, order, locks=[held.id for held in locks])
    return locks


def ship(actor, order, carrier, tracking_number, shipment=None, note="", now=None):
    """Ship the order's pending shipments (or the one given) with a carrier and
    tracking number, deducting their reservations; when nothing is left to
    ship, ``pending_shipment -> pending_receipt``. Returns the order."""
    reach(actor, order)
    check(order, PENDING_RECEIPT)
    if shipment is not None:
        reach(actor, shipment)
    carrier = text(carrier, "carrier", 64, required=True)
    tracking_number = text(tracking_number, "tracking_number", 64, required=True)
    now = now_or(now)
    pending = [s for s in order.shipments if s.status == SHIPMENT_PENDING]
    if shipment is not None and (shipment.order_id != order.id or shipment.status != SHIPMENT_PENDING):
        raise InvalidField("shipment", _("shipment %(id)s is not a pending shipment of order %(order)s.",
                                         id=shipment.id, order=order.number))
    chosen = pending if shipment is None else [shipment]
    if shipment is None:
        _reach_all(actor, order, chosen)
    with db.session.begin_nested():
        _check_reserved(order)
        for each in chosen:
            stock.deduct_shipment(order, each)
            each.status, each.carrier, each.tracking_number, each.shipped_at = (
                SHIPMENT_SHIPPED, carrier, tracking_number, now)
            audit("ship_shipment", actor, order, shipment=each.id, warehouse=each.warehouse_id, carrier=carrier,
                  tracking_number=tracking_number)
            publish(ShipmentShipped(order.id, order.number, order.merchant_id, each.id, carrier, tracking_number))
        db.session.flush()
        if any(s.status == SHIPMENT_PENDING for s in order.shipments):
            log(actor, order, order.state, order.state, None, note=note or _(
                "Shipped from warehouse %(warehouse)s with %(carrier)s %(tracking)s; more to ship.",
                warehouse=", ".join(str(s.warehouse_id) for s in chosen), carrier=carrier, tracking=tracking_number),
                now=now, action="ship_shipment")
            return order
        from_state = move(order, PENDING_RECEIPT, now)
        tracking = tuple(s.tracking_number for s in order.shipments if s.status == SHIPMENT_SHIPPED)
        log(actor, order, from_state, PENDING_RECEIPT,
            OrderShipped(order.id, order.number, order.merchant_id, tracking),
            note=note, now=now, carrier=carrier, tracking_number=tracking_number)
    return order


def _reach_all(actor, order, shipments):
    """Shipping everything needs every warehouse: a user limited to some is
    told to ship their shipments one by one."""
    for each in shipments:
        try:
            reach(actor, each)
        except OrderNotFound:
            raise AccessDenied(_("Order %(order)s ships from warehouses you cannot reach; ship your own "
                                 "shipments one by one.", order=order.number)) from None


def _check_reserved(order):
    """Every line's reservations (and units shipped) must cover it."""
    missing = stock.missing_by_line(order)
    for line, short in sorted(missing.items(), key=lambda m: m[0].id):
        raise UnallocatedLine(order.number, line.id, line.sku_code, line.qty - short, line.qty)


def receive(actor, order, note="", now=None, automatic=False):
    """The buyer has the goods: ``pending_receipt -> completed``; the
    after-sales window opens for ``orders.after_sales_days``."""
    reach(actor, order)
    check(order, COMPLETED)
    now = now_or(now)
    deadline = now + timedelta(days=settings.get("orders.after_sales_days"))
    with db.session.begin_nested():
        from_state = move(order, COMPLETED, now, {"after_sales_deadline": deadline})
        log(actor, order, from_state, COMPLETED, OrderCompleted(order.id, order.number, order.merchant_id, automatic),
            note=note, now=now, after_sales_deadline=deadline.isoformat())
    return order


def cancel(actor, order, note="", now=None, automatic=False):
    """Cancel before shipment: ``-> cancelled``; the reservations are released
    and, when the order was paid, a refund of what was paid is recorded per
    payment method (which needs ``orders.refund``)."""
    reach(actor, order)
    check(order, CANCELLED)
    shipped = [s for s in order.shipments if s.status == SHIPMENT_SHIPPED]
    if shipped:
        raise InvalidTransition(order.number, order.state, CANCELLED, _(
            "shipment %(id)s has left its warehouse; ask for after-sales service instead", id=shipped[0].id))
    paid = paid_amount(order)
    if paid > 0:
        reach(actor, order, REFUND_RESOURCE, "write")
    now = now_or(now)
    with db.session.begin_nested():
        from_state = move(order, CANCELLED, now)
        refunded = _after_cancel(actor, order, from_state, note, now, automatic)
    return refunded


def _after_cancel(actor, order, from_state, note, now, automatic=False):
    """Release the stock, cancel the shipments, owe back what was paid, log."""
    released = stock.release_all(order)
    for shipment in order.shipments:
        if shipment.status == SHIPMENT_PENDING:
            shipment.status = SHIPMENT_CANCELLED
    refunded = _refund_all(actor, order, now)
    log(actor, order, from_state, CANCELLED,
        OrderCancelled(order.id, order.number, order.merchant_id, refunded, order.currency, note or "", automatic),
        note=note, now=now, released=released, refunded=str(refunded))
    return refunded


def _refund_all(actor, order, now):
    """One refund row per payment method with money still held; the total refunded."""
    held = defaultdict(Decimal)
    for payment in db.session.execute(select(Payment).where(Payment.order_id == order.id)).scalars():
        held[payment.method] += payment.amount
    refunded = Decimal(0)
    for method, amount in sorted(held.items()):
        if amount > 0:
            db.session.add(Payment(order_id=order.id, merchant_id=order.merchant_id, kind=REFUND, method=method,
                                   amount=-amount, currency=order.currency, paid_at=now,
                                   recorded_by_id=getattr(actor, "id", None), created_at=now))
            refunded += amount
    db.session.flush()
    return refunded


def request_after_sales(actor, order, note="", now=None):
    """The buyer asks for after-sales service: ``pending_receipt`` or
    ``completed`` (before the after-sales deadline) ``-> after_sales``;
    ``note`` is the reason and is required."""
    reach(actor, order)
    check(order, AFTER_SALES)
    reason = text(note, "reason", 500, required=True)
    now = now_or(now)
    conditions = ()
    if order.state == COMPLETED:
        if order.after_sales_deadline is not None and now > order.after_sales_deadline:
            raise InvalidTransition(order.number, order.state, AFTER_SALES, _(
                "the after-sales window closed at %(deadline)s UTC",
                deadline=order.after_sales_deadline.strftime("%Y-%m-%d %H:%M")))
        conditions = ((Order.after_sales_deadline.is_(None)) | (Order.after_sales_deadline >= now),)
    with db.session.begin_nested():
        from_state = move(order, AFTER_SALES, now, conditions=conditions)
        log(actor, order, from_state, AFTER_SALES,
            AfterSalesRequested(order.id, order.number, order.merchant_id, reason), note=reason, now=now)
    return order


def close(actor, order, note="", now=None, automatic=False):
    """Close: the after-sales case finished (``after_sales -> closed``, which
    needs ``orders.refund``), or the after-sales window passed
    (``completed -> closed``)."""
    # settling an after-sales case is refund work; closing after the window is order work
    reach(actor, order, REFUND_RESOURCE if order.state == AFTER_SALES else ORDER, "write")
    check(order, CLOSED)
    now = now_or(now)
    conditions = ()
    if order.state == COMPLETED and order.after_sales_deadline is not None:
        if now <= order.after_sales_deadline:
            raise InvalidTransition(order.number, order.state, CLOSED, _(
                "the after-sales window is open until %(deadline)s UTC",
                deadline=order.after_sales_deadline.strftime("%Y-%m-%d %H:%M")))
        conditions = (Order.after_sales_deadline < now,)
    if order.state == AFTER_SALES and db.session.execute(
            select(AfterSalesCase.id).where(AfterSalesCase.order_id == order.id,
                                            AfterSalesCase.status.in_(CASE_OPEN)).limit(1)).first():
        raise InvalidTransition(order.number, order.state, CLOSED, _(
            "an after-sales case is still open: settle, reject or withdraw it first"))
    with db.session.begin_nested():
        from_state = move(order, CLOSED, now, conditions=conditions)
        log(actor, order, from_state, CLOSED, OrderClosed(order.id, order.number, order.merchant_id, automatic),
            note=note, now=now)
    return order


ACTIONS = {PAY: pay, SHIP: ship, RECEIVE: receive, CANCEL: cancel, REQUEST_AFTER_SALES: request_after_sales,
           CLOSE: close}


def change_state(actor, order, to_state, note="", now=None, **details):
    """Move ``order`` to ``to_state`` through the action the lifecycle names
    for that change (``details``: what the action needs besides a note, e.g.
    ``carrier`` and ``tracking_number`` to ship); ``InvalidTransition`` naming
    both states for a change the lifecycle does not allow."""
    check(order, to_state)
    action = ACTIONS[TRANSITIONS[(order.state, to_state)]]
    return action(actor, order, note=note, now=now, **details)
