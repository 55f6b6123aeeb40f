"""Figures the pages show, read from the rollups only (never the orders),
within the user's merchant scope: a merchant's staff see their own merchant's
rows and totals made of those rows alone."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from portal import access
from portal.extensions import db

from ..models import ProductDay, SalesDay, ShipmentDay

# dimension -> (rollup, column)
SALES_DIMENSIONS = {"merchant": (SalesDay, "merchant_id"), "region": (SalesDay, "region"),
                    "channel": (SalesDay, "channel"), "category": (ProductDay, "category_id"),
                    "brand": (ProductDay, "brand_id"), "product": (ProductDay, "product_id")}


@dataclass
class Totals:
    """Sales of a period in one currency."""

    orders: int = 0
    gmv: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    cancelled_orders: int = 0
    refunds: Decimal = Decimal(0)

    @property
    def aov(self):
        return (self.gmv / self.orders).quantize(Decimal("0.01")) if self.orders else Decimal(0)


def scope(query, model, user=None, merchant_id=None):
    """``query`` limited to the user's merchants (and to one when asked)."""
    query = access.scoped(query, model, "read", user=user)
    return query.where(model.merchant_id == merchant_id) if merchant_id else query


def _in_period(model, period):
    return (model.day >= period.start, model.day <= period.end)


def sales_totals(period, currency, user=None, merchant_id=None):
    """GMV, orders, paid, cancelled and refunds of ``period``."""
    sums = [func.coalesce(func.sum(column), 0) for column in (
        SalesDay.placed_orders, SalesDay.placed_amount, SalesDay.paid_amount, SalesDay.cancelled_orders,
        SalesDay.refund_amount)]
    query = select(*sums).where(*_in_period(SalesDay, period), SalesDay.currency == currency)
    row = db.session.execute(scope(query, SalesDay, user, merchant_id)).one()
    return Totals(int(row[0]), Decimal(row[1]), Decimal(row[2]), int(row[3]), Decimal(row[4]))


def daily_gmv(period, currency, user=None, merchant_id=None):
    """``[(day, gmv)]`` for every day of ``period`` (zero on days without sales)."""
    query = (select(SalesDay.day, func.sum(SalesDay.placed_amount))
             .where(*_in_period(SalesDay, period), SalesDay.currency == currency).group_by(SalesDay.day))
    found = dict(db.session.execute(scope(query, SalesDay, user, merchant_id)).all())
    return [(day, Decimal(found.get(day) or 0)) for day in period.dates()]


def sales_by(dimension, period, currency, user=None, merchant_id=None):
    """``{key: {measure: value}}`` of ``period`` grouped by ``dimension``;
    order-level measures for merchant, region and channel, line-level ones
    (units, sales) for category, brand and product."""
    model, column_name = SALES_DIMENSIONS[dimension]
    column = getattr(model, column_name)
    if model is SalesDay:
        measures = {"orders": SalesDay.placed_orders, "gmv": SalesDay.placed_amount, "paid": SalesDay.paid_amount,
                    "cancelled": SalesDay.cancelled_orders, "refunds": SalesDay.refund_amount}
    else:
        measures = {"units": ProductDay.units, "gmv": ProductDay.sales, "cancelled_units": ProductDay.cancelled_units,
                    "cancelled_sales": ProductDay.cancelled_sales}
    query = (select(column, *[func.sum(c) for c in measures.values()])
             .where(*_in_period(model, period), model.currency == currency).group_by(column))
    out = {}
    for key, *values in db.session.execute(scope(query, model, user, merchant_id)).all():
        out[key] = {name: (value if value is not None else 0) for name, value in zip(measures, values)}
    return out


def currencies(user=None):
    """Currencies that have sales in the user's scope, most used first."""
    query = (select(SalesDay.currency).group_by(SalesDay.currency)
             .order_by(func.sum(SalesDay.placed_orders).desc(), SalesDay.currency))
    return list(db.session.execute(scope(query, SalesDay, user)).scalars())


def top_products(period, currency, limit=20, user=None, merchant_id=None):
    """``[(product_id, units, sales)]``: the best sellers of ``period`` by units
    net of cancellations."""
    net_units = func.sum(ProductDay.units - ProductDay.cancelled_units)
    query = (select(ProductDay.product_id, net_units, func.sum(ProductDay.sales - ProductDay.cancelled_sales))
             .where(*_in_period(ProductDay, period), ProductDay.currency == currency)
             .group_by(ProductDay.product_id).order_by(net_units.desc(), ProductDay.product_id).limit(limit))
    return db.session.execute(scope(query, ProductDay, user, merchant_id)).all()


def shipping_by(dimension, period, user=None, merchant_id=None):
    """``{key: (shipments, received, average days to deliver or None)}`` by
    ``carrier`` or ``region``."""
    column = getattr(ShipmentDay, dimension)
    query = (select(column, func.sum(ShipmentDay.shipments), func.sum(ShipmentDay.received_orders),
                    func.sum(ShipmentDay.delivery_seconds))
             .where(*_in_period(ShipmentDay, period)).group_by(column))
    out = {}
    for key, shipped, received, seconds in db.session.execute(scope(query, ShipmentDay, user, merchant_id)).all():
        days = (Decimal(int(seconds)) / Decimal(86400 * int(received))).quantize(Decimal("0.1")) if received else None
        out[key] = (int(shipped or 0), int(received or 0), days)
    return out


def change(current, previous):
    """Percentage change, or None when there is nothing to compare with."""
    current, previous = Decimal(current or 0), Decimal(previous or 0)
    if previous == 0:
        return None
    return ((current - previous) * 100 / previous).quantize(Decimal("0.1"))
