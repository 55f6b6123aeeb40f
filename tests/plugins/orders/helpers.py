"""Helpers for the orders tests: SKUs on the shelf, buyers, orders driven to
a state through the real services, and what a test reads back."""
import itertools
from decimal import Decimal

from sqlalchemy import func, select

from plugins.catalog.models import Category, Product, Sku
from plugins.inventory.models import Stock, StockLock
from plugins.orders.models import (AFTER_SALES, CANCELLED, CLOSED, COMPLETED, PENDING_PAYMENT, PENDING_RECEIPT,
                                   PENDING_SHIPMENT, Order, OrderHistory)
from plugins.orders.services import (cancel, close, paid_amount, place, receive, record_payment,
                                     request_after_sales, ship)
from portal.models import AuditLog, utcnow

_codes = itertools.count(1)
BUYER = {"name": "Li Lei", "phone": "+86 138 0000 0000", "email": "li.lei@example.test", "region": "CN-GD",
         "city": "Shenzhen", "district": "Nanshan", "address": "1 Keji Road", "postcode": "518000"}


def make_sku(db, merchant, price="10.00", currency="CNY", on_shelf=True, code=None, title="Teapot"):
    """A SKU (and its product) of ``merchant``, on the shelf unless told."""
    category = db.session.execute(select(Category).limit(1)).scalar() or Category(name_en="Things")
    product = Product(merchant_id=merchant.id, category=category, title_en=title,
                      shelf_status="on" if on_shelf else "off")
    sku = Sku(product=product, merchant_id=merchant.id, code=code or f"OSKU{next(_codes)}", price=price,
              currency=currency)
    db.session.add(sku)
    db.session.flush()
    return sku


def buyer(region="CN-GD", **changes):
    return {**BUYER, "region": region, **changes}


def place_one(store, lines=None, region="CN-GD", actor=None, now=None, **kw):
    """A checkout of ``lines`` (default: 2 of SKU ``a``) placed through the service; its first order."""
    checkout = place(actor, "portal", buyer(region), lines or [(store.a.id, 2)], kw.pop("customer_ref", "C-1"),
                     now=now)
    return checkout.orders[0]


def pay_in_full(order, actor=None, method="alipay", ref=None, now=None):
    owed = order.total - paid_amount(order)
    return record_payment(actor, order, method, owed, order.currency, ref or f"PAY-{order.number}", now=now)


def order_in(store, state, now=None, **kw):
    """An order brought to ``state`` through the real transitions."""
    order = place_one(store, now=now, **kw)
    steps = {
        PENDING_PAYMENT: [],
        PENDING_SHIPMENT: [pay_in_full],
        PENDING_RECEIPT: [pay_in_full, _ship],
        COMPLETED: [pay_in_full, _ship, _receive],
        CANCELLED: [_cancel],
        AFTER_SALES: [pay_in_full, _ship, _receive, _request],
        CLOSED: [pay_in_full, _ship, _receive, _request, _close],
    }[state]
    for step in steps:
        step(order, now=now)
    assert order.state == state
    return order


def _ship(order, now=None):
    ship(None, order, "SF Express", f"SF{order.id:010d}", now=now)


def _receive(order, now=None):
    receive(None, order, now=now)


def _cancel(order, now=None):
    cancel(None, order, "Changed my mind", now=now)


def _request(order, now=None):
    request_after_sales(None, order, "Broken lid", now=now)


def _close(order, now=None):
    close(None, order, "Refund settled", now=now)


def figures(db, sku, warehouse):
    """``(on_hand, locked)`` of one stock row, read now."""
    row = db.session.execute(select(Stock.on_hand, Stock.locked).where(
        Stock.sku_id == sku.id, Stock.warehouse_id == warehouse.id)).one()
    return tuple(row)


def locks_of(db, order):
    """``[(line_ref, sku_id, warehouse_id, qty, status)]`` of an order's reservations."""
    return db.session.execute(select(StockLock.line_ref, StockLock.sku_id, StockLock.warehouse_id, StockLock.qty,
                                     StockLock.status).where(StockLock.order_ref == order.number)
                              .order_by(StockLock.warehouse_id, StockLock.id)).all()


def history(db, order):
    """``[(from, to)]`` of an order's history rows."""
    return db.session.execute(select(OrderHistory.from_state, OrderHistory.to_state)
                              .where(OrderHistory.order_id == order.id).order_by(OrderHistory.id)).all()


def audit_actions(db):
    return db.session.execute(select(AuditLog.action).where(AuditLog.plugin == "orders")
                              .order_by(AuditLog.id)).scalars().all()


def count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def state_of(db, order):
    return db.session.execute(select(Order.state).where(Order.id == order.id)).scalar()


def money(text):
    return Decimal(text)


__all__ = ["make_sku", "buyer", "place_one", "pay_in_full", "order_in", "figures", "locks_of", "history",
           "audit_actions", "count", "state_of", "money", "utcnow"]


def switch(name, enabled):
    """Switch a plugin off with the plugins built on it (they go first), or on
    again with them (they come after): a plugin others require cannot go alone."""
    from portal.plugins import kernel
    order = _dependents_first(kernel(), name)
    for plugin in order if not enabled else reversed(order):
        kernel().set_enabled(plugin, enabled)


def _dependents_first(kernel, name):
    order = []
    for dependent in kernel.dependents(name):
        order += [n for n in _dependents_first(kernel, dependent) if n not in order]
    return order + [name]
