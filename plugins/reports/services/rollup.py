"""Rollups kept current by the orders' domain events, in the transaction of
the change: each event adds its figures to its day's row with one
``INSERT .. ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL), so two
processes bumping the same row never lose an update nor collide on insert."""
from datetime import timezone

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from plugins.catalog.models import Product, Sku
from plugins.orders import events as ev
from plugins.orders.models import SHIPMENT_SHIPPED, AfterSalesCase, Checkout, Order, OrderLine, Shipment
from portal.extensions import db

from ..models import ProductDay, SalesDay, ShipmentDay
from .localday import local_day


def bump(model, key, deltas, extra=None):
    """Add ``deltas`` to the row of ``model`` at ``key`` (created with
    ``extra`` values when missing)."""
    dialect = db.session.get_bind().dialect.name
    insert = (sqlite_insert if dialect == "sqlite" else pg_insert)(model)
    statement = insert.values(**key, **deltas, **(extra or {}))
    columns = model.__table__.c
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: columns[name] + statement.excluded[name] for name in deltas})
    db.session.execute(statement)


def _sales_key(order, moment):
    checkout = db.session.get(Checkout, order.checkout_id)
    return {"day": local_day(moment), "merchant_id": order.merchant_id, "region": checkout.ship_region,
            "channel": checkout.channel, "currency": order.currency}


def _product_lines(order):
    return db.session.execute(
        select(Sku.product_id, Product.merchant_id, Product.category_id, Product.brand_id,
               func.sum(OrderLine.qty), func.sum(OrderLine.line_total))
        .join(Sku, Sku.id == OrderLine.sku_id).join(Product, Product.id == Sku.product_id)
        .where(OrderLine.order_id == order.id)
        .group_by(Sku.product_id, Product.merchant_id, Product.category_id, Product.brand_id)).all()


def _bump_products(order, moment, units_column, sales_column):
    for product_id, merchant_id, category_id, brand_id, units, sales in _product_lines(order):
        bump(ProductDay, {"day": local_day(moment), "product_id": product_id, "currency": order.currency},
             {units_column: int(units), sales_column: sales},
             {"merchant_id": merchant_id, "category_id": category_id, "brand_id": brand_id})


def on_placed(event):
    order = db.session.get(Order, event.order_id)
    bump(SalesDay, _sales_key(order, order.placed_at), {"placed_orders": 1, "placed_amount": order.total})
    _bump_products(order, order.placed_at, "units", "sales")


def on_paid(event):
    order = db.session.get(Order, event.order_id)
    bump(SalesDay, _sales_key(order, order.paid_at), {"paid_orders": 1, "paid_amount": order.total})


def on_cancelled(event):
    order = db.session.get(Order, event.order_id)
    bump(SalesDay, _sales_key(order, order.cancelled_at),
         {"cancelled_orders": 1, "cancelled_amount": order.total, "refund_amount": event.refunded})
    _bump_products(order, order.cancelled_at, "cancelled_units", "cancelled_sales")


def on_refund(event):
    order = db.session.get(Order, event.order_id)
    case = db.session.get(AfterSalesCase, event.case_id)
    bump(SalesDay, _sales_key(order, case.refunded_at), {"refund_amount": event.amount})


def on_shipment(event):
    shipment = db.session.get(Shipment, event.shipment_id)
    order = db.session.get(Order, event.order_id)
    region = db.session.get(Checkout, order.checkout_id).ship_region
    bump(ShipmentDay, {"day": local_day(shipment.shipped_at), "merchant_id": order.merchant_id,
                       "carrier": shipment.carrier, "region": region}, {"shipments": 1})


def whole_seconds(moment):
    """Seconds since the epoch, fractions dropped (as the rebuild's SQL does)."""
    return int(moment.replace(tzinfo=timezone.utc, microsecond=0).timestamp())


def on_completed(event):
    order = db.session.get(Order, event.order_id)
    carrier = db.session.execute(select(Shipment.carrier).where(
        Shipment.order_id == order.id, Shipment.status == SHIPMENT_SHIPPED).order_by(Shipment.id).limit(1)).scalar()
    region = db.session.get(Checkout, order.checkout_id).ship_region
    bump(ShipmentDay, {"day": local_day(order.received_at), "merchant_id": order.merchant_id,
                       "carrier": carrier or "", "region": region},
         {"received_orders": 1,
          "delivery_seconds": whole_seconds(order.received_at) - whole_seconds(order.shipped_at)})


HANDLERS = {ev.OrderPlaced: on_placed, ev.OrderPaid: on_paid, ev.OrderCancelled: on_cancelled,
            ev.RefundApproved: on_refund, ev.ShipmentShipped: on_shipment, ev.OrderCompleted: on_completed}


def on_event(event):
    """Add the event's figures to the rollups (other events change none)."""
    handler = HANDLERS.get(type(event))
    if handler is not None:
        db.session.flush()
        handler(event)
