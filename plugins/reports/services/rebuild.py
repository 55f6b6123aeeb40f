"""Rebuild every rollup from the orders with SQL aggregation: each table is
emptied and refilled by one ``INSERT .. SELECT .. GROUP BY`` over a
``UNION ALL`` of its measures (placed, paid, cancelled, refunded...), each
measure on its own local day, exactly as the event handlers file them."""
from sqlalchemy import BigInteger, Integer, cast, delete, func, insert, literal, select, union_all

from plugins.catalog.models import Product, Sku
from plugins.orders.models import REFUND, SHIPMENT_SHIPPED, Checkout, Order, OrderLine, Payment, Shipment
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow

from ..models import MONEY, ProductDay, SalesDay, ShipmentDay
from .localday import day_expr

SALES_MEASURES = ("placed_orders", "placed_amount", "paid_orders", "paid_amount", "cancelled_orders",
                  "cancelled_amount", "refund_amount")
PRODUCT_MEASURES = ("units", "sales", "cancelled_units", "cancelled_sales")
SHIPMENT_MEASURES = ("shipments", "received_orders", "delivery_seconds")


def _zeros(measures, given):
    """Every measure of a branch: those given, zero for the others (typed, so
    PostgreSQL's UNION agrees on the column types)."""
    typed = {"amount": MONEY, "sales": MONEY, "delivery_seconds": BigInteger}
    out = []
    for name in measures:
        kind = next((t for suffix, t in typed.items() if name.endswith(suffix)), Integer())
        out.append((given.get(name) if name in given else cast(literal(0), kind)).label(name))
    return out


def _time_range():
    first, last = db.session.execute(select(func.min(Order.placed_at), func.max(Order.placed_at))).one()
    now = utcnow()
    return (first or now), now if last is None or last < now else last


def _sales_branch(moment, measures, source=Order, where=()):
    first, last = _time_range()
    day = day_expr(moment, first, last)
    keys = [day.label("day"), Order.merchant_id.label("merchant_id"), Checkout.ship_region.label("region"),
            Checkout.channel.label("channel"), Order.currency.label("currency")]
    query = select(*keys, *_zeros(SALES_MEASURES, measures)).select_from(source)
    if source is not Order:
        query = query.join(Order, Order.id == source.order_id)
    return query.join(Checkout, Checkout.id == Order.checkout_id).where(*where).group_by(*keys)


def _sales_select():
    branches = union_all(
        _sales_branch(Order.placed_at, {"placed_orders": func.count(Order.id), "placed_amount": func.sum(Order.total)}),
        _sales_branch(Order.paid_at, {"paid_orders": func.count(Order.id), "paid_amount": func.sum(Order.total)},
                      where=(Order.paid_at.isnot(None),)),
        _sales_branch(Order.cancelled_at, {"cancelled_orders": func.count(Order.id),
                                           "cancelled_amount": func.sum(Order.total)},
                      where=(Order.cancelled_at.isnot(None),)),
        _sales_branch(Payment.paid_at, {"refund_amount": -func.sum(Payment.amount)}, source=Payment,
                      where=(Payment.kind == REFUND,)),
    ).subquery()
    keys = [branches.c.day, branches.c.merchant_id, branches.c.region, branches.c.channel, branches.c.currency]
    return select(*keys, *[func.sum(branches.c[m]) for m in SALES_MEASURES]).group_by(*keys)


def _product_branch(moment, units, sales, where=()):
    first, last = _time_range()
    day = day_expr(moment, first, last)
    keys = [day.label("day"), Sku.product_id.label("product_id"), Order.currency.label("currency"),
            Product.merchant_id.label("merchant_id"), Product.category_id.label("category_id"),
            Product.brand_id.label("brand_id")]
    given = {units: func.sum(OrderLine.qty), sales: func.sum(OrderLine.line_total)}
    return (select(*keys, *_zeros(PRODUCT_MEASURES, given)).select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id).join(Sku, Sku.id == OrderLine.sku_id)
            .join(Product, Product.id == Sku.product_id).where(*where).group_by(*keys))


def _product_select():
    branches = union_all(
        _product_branch(Order.placed_at, "units", "sales"),
        _product_branch(Order.cancelled_at, "cancelled_units", "cancelled_sales", (Order.cancelled_at.isnot(None),)),
    ).subquery()
    keys = [branches.c.day, branches.c.product_id, branches.c.currency]
    # the product's merchant, category and brand as they are now (one per product)
    return select(*keys, func.max(branches.c.merchant_id), func.max(branches.c.category_id),
                  func.max(branches.c.brand_id), *[func.sum(branches.c[m]) for m in PRODUCT_MEASURES]).group_by(*keys)


def _epoch(column):
    if db.session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), BigInteger)
    return cast(func.extract("epoch", func.date_trunc("second", column)), BigInteger)


def _first_carrier():
    return (select(Shipment.carrier).where(Shipment.order_id == Order.id, Shipment.status == SHIPMENT_SHIPPED)
            .order_by(Shipment.id).limit(1).scalar_subquery())


def _shipment_select():
    first, last = _time_range()
    shipped_day = day_expr(Shipment.shipped_at, first, last)
    shipped_keys = [shipped_day.label("day"), Shipment.merchant_id.label("merchant_id"),
                    Shipment.carrier.label("carrier"), Checkout.ship_region.label("region")]
    shipped = (select(*shipped_keys, *_zeros(SHIPMENT_MEASURES, {"shipments": func.count(Shipment.id)}))
               .select_from(Shipment).join(Order, Order.id == Shipment.order_id)
               .join(Checkout, Checkout.id == Order.checkout_id)
               .where(Shipment.status == SHIPMENT_SHIPPED).group_by(*shipped_keys))
    received = (select(day_expr(Order.received_at, first, last).label("day"), Order.merchant_id.label("merchant_id"),
                       func.coalesce(_first_carrier(), "").label("carrier"), Checkout.ship_region.label("region"),
                       *_zeros(SHIPMENT_MEASURES, {"received_orders": literal(1),
                                                   "delivery_seconds": _epoch(Order.received_at)
                                                   - _epoch(Order.shipped_at)}))
                .select_from(Order).join(Checkout, Checkout.id == Order.checkout_id)
                .where(Order.received_at.isnot(None), Order.shipped_at.isnot(None)))
    branches = union_all(shipped, received).subquery()
    keys = [branches.c.day, branches.c.merchant_id, branches.c.carrier, branches.c.region]
    return select(*keys, *[func.sum(branches.c[m]) for m in SHIPMENT_MEASURES]).group_by(*keys)


TABLES = (
    (SalesDay, ("day", "merchant_id", "region", "channel", "currency") + SALES_MEASURES, _sales_select),
    (ProductDay, ("day", "product_id", "currency", "merchant_id", "category_id", "brand_id") + PRODUCT_MEASURES,
     _product_select),
    (ShipmentDay, ("day", "merchant_id", "carrier", "region") + SHIPMENT_MEASURES, _shipment_select),
)


def rebuild(actor=None):
    """Empty and refill every rollup in the caller's transaction; returns
    ``{table: rows}`` and writes one audit row."""
    counts = {}
    for model, columns, build in TABLES:
        db.session.execute(delete(model))
        db.session.execute(insert(model).from_select(list(columns), build()))
        counts[model.__tablename__] = db.session.execute(select(func.count()).select_from(model)).scalar()
    record("reports.rebuild", target="rollups", plugin="reports", summary=counts, actor=actor)
    return counts
