"""The orders' side of the inventory: reserving stock for order lines (split
per warehouse by the inventory's allocation), the shipments that follow from
the reservations, keeping, releasing and deducting them, and the answers to
the inventory's extension points.

Stock moves an order causes are made as the system (``actor`` None): the
person is named by the order's history and audit rows, and the inventory's
ledger rows carry the order number as their document.

A reservation for an unpaid order expires a little after the order would be
cancelled for want of payment (``orders.unpaid_cancel_minutes``), so the
orders' own timer cancels it first and the inventory's expiry is only the
safety net; once paid, its reservations are kept until shipment or
cancellation.
"""
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from plugins.inventory.models import LIVE, StockLock
from plugins.inventory.services import InsufficientStock, Line, LockNotLive, allocate, deduct, hold, release
from portal import settings
from portal.extensions import db

from ..models import (LIVE_STATES, SHIPMENT_PENDING, SHIPMENT_SHIPPED, Order, OrderLine, Shipment,
                      ShipmentLine)
from .core import now_or

# how long after the unpaid-order timer a reservation expires by itself
LOCK_GRACE = timedelta(minutes=10)
BATCH = 500


def unpaid_expiry(now):
    """When a reservation made ``now`` for an unpaid order expires."""
    return now + timedelta(minutes=settings.get("orders.unpaid_cancel_minutes")) + LOCK_GRACE


def live_locks(order):
    """The order's live reservations, by line then id."""
    return db.session.execute(select(StockLock).where(StockLock.order_ref == order.number,
                                                      StockLock.status == LIVE)
                              .order_by(StockLock.line_ref, StockLock.id)
                              .execution_options(populate_existing=True)).scalars().all()


def shipped_by_line(order):
    """``{line_id: units}`` already shipped."""
    rows = db.session.execute(select(ShipmentLine.line_id, func.sum(ShipmentLine.qty))
                              .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
                              .where(Shipment.order_id == order.id, Shipment.status == SHIPMENT_SHIPPED)
                              .group_by(ShipmentLine.line_id))
    return {line_id: int(qty) for line_id, qty in rows}


def missing_by_line(order):
    """``{line: units}`` of the lines whose live reservations and shipped
    units fall short of the quantity ordered."""
    held = defaultdict(int)
    for held_lock in live_locks(order):
        held[held_lock.line_ref] += held_lock.qty
    shipped = shipped_by_line(order)
    missing = {}
    for line in order.lines:
        short = line.qty - shipped.get(line.id, 0) - held[str(line.id)]
        if short > 0:
            missing[line] = short
    return missing


def reserve(order, wanted, now=None, paid=False):
    """Lock stock for ``wanted`` (``{line: units}``) shipped to the checkout's
    region, recording each reservation on the shipment of its warehouse; all
    or nothing (``InsufficientStock`` and nothing is locked). Returns the locks."""
    if not wanted:
        return []
    now = now_or(now)
    lines = [Line(str(line.id), line.sku_id, qty) for line, qty in sorted(wanted.items(), key=lambda w: w[0].id)]
    locks = allocate(None, lines, order.checkout.ship_region, order.number, expires_at=unpaid_expiry(now))
    if paid:
        keep(order)
    pending = {s.warehouse_id: s for s in order.shipments if s.status == SHIPMENT_PENDING}
    for held_lock in locks:
        shipment = pending.get(held_lock.warehouse_id)
        if shipment is None:
            shipment = pending[held_lock.warehouse_id] = Shipment(
                merchant_id=order.merchant_id, warehouse_id=held_lock.warehouse_id, created_at=now)
            order.shipments.append(shipment)
        shipment.lines.append(ShipmentLine(line_id=int(held_lock.line_ref), qty=held_lock.qty, lock_id=held_lock.id))
    db.session.flush()
    return locks


def prune(order):
    """Drop pending shipment lines whose reservation is no longer live
    (expired or released behind the order's back), and shipments left empty."""
    live = {held_lock.id for held_lock in live_locks(order)}
    for shipment in [s for s in order.shipments if s.status == SHIPMENT_PENDING]:
        for shipment_line in [sl for sl in shipment.lines if sl.lock_id not in live]:
            shipment.lines.remove(shipment_line)
        if not shipment.lines:
            order.shipments.remove(shipment)
            db.session.delete(shipment)
    db.session.flush()


def reserve_missing(order, now=None, paid=False):
    """Reserve what the order's lines lack (their reservations expired or
    were released); the new locks, or ``InsufficientStock``."""
    prune(order)
    return reserve(order, missing_by_line(order), now, paid)


def keep(order):
    """The order is paid: its live reservations no longer expire."""
    hold(order.number)


def release_all(order):
    """Release the order's live reservations; returns the units released. A
    reservation that expired or was released meanwhile is skipped."""
    released = 0
    for held_lock in live_locks(order):
        try:
            released += release(None, held_lock.id).qty
        except LockNotLive:
            continue
    return released


def deduct_shipment(order, shipment):
    """The shipment left its warehouse: deduct each of its reservations."""
    for shipment_line in shipment.lines:
        deduct(None, shipment_line.lock_id, document=order.number)


# -- the inventory's extension points -------------------------------------------------

def live_orders(order_refs):
    """The references among ``order_refs`` of orders that still need their
    stock reserved: not yet paid, or paid and not yet shipped."""
    refs = sorted({str(ref) for ref in order_refs})
    found = []
    for start in range(0, len(refs), BATCH):
        found += db.session.execute(select(Order.number).where(Order.number.in_(refs[start:start + BATCH]),
                                                               Order.state.in_(LIVE_STATES))).scalars()
    return found


def lines_to_lock(merchant_ids=None):
    """``(order number, line id as text, sku_id, units)`` of every line of a
    live order, with the units it still has to ship."""
    shipped = (select(ShipmentLine.line_id, func.sum(ShipmentLine.qty).label("qty"))
               .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
               .join(Order, Order.id == Shipment.order_id)
               .where(Shipment.status == SHIPMENT_SHIPPED, Order.state.in_(LIVE_STATES))
               .group_by(ShipmentLine.line_id).subquery())
    query = (select(Order.number, OrderLine.id, OrderLine.sku_id,
                    OrderLine.qty - func.coalesce(shipped.c.qty, 0))
             .join(OrderLine, OrderLine.order_id == Order.id)
             .outerjoin(shipped, shipped.c.line_id == OrderLine.id)
             .where(Order.state.in_(LIVE_STATES)).order_by(Order.id, OrderLine.id))
    if merchant_ids is not None:
        query = query.where(Order.merchant_id.in_(sorted(merchant_ids)))
    return [(number, str(line_id), sku_id, int(qty)) for number, line_id, sku_id, qty in db.session.execute(query)
            if qty > 0]


__all__ = ["InsufficientStock", "reserve", "reserve_missing", "keep", "release_all", "deduct_shipment",
           "live_locks", "missing_by_line", "live_orders", "lines_to_lock"]
