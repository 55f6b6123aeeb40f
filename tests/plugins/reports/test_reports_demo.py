"""The demo: the rollups are rebuilt after the demo orders load, and they hold
what a direct count over those orders gives."""
from decimal import Decimal

from sqlalchemy import func, select

from plugins.orders.models import REFUND, Order, OrderLine, Payment, Shipment
from plugins.reports.models import ProductDay, SalesDay, ShipmentDay
from portal import demo as portal_demo
from portal.plugins import kernel


def _one(db, query):
    return db.session.execute(query).scalar() or 0


def test_demo_rollups_equal_a_direct_count_over_the_orders(db):
    # the shipping-tracking demo is the logistics plugin's to test; these figures need only the orders
    kernel().set_enabled("logistics", False)
    db.session.flush()
    lines = []
    portal_demo.load_demo(echo=lines.append)
    rebuilt = next(i for i, line in enumerate(lines) if line.startswith("Reports: rollups rebuilt"))
    assert rebuilt > next(i for i, line in enumerate(lines) if line.startswith("Orders:"))

    assert _one(db, select(func.sum(SalesDay.placed_orders))) == _one(db, select(func.count(Order.id))) > 0
    assert Decimal(_one(db, select(func.sum(SalesDay.placed_amount)))) \
        == Decimal(_one(db, select(func.sum(Order.total))))
    assert _one(db, select(func.sum(SalesDay.paid_orders))) == _one(
        db, select(func.count(Order.id)).where(Order.paid_at.isnot(None)))
    assert _one(db, select(func.sum(SalesDay.cancelled_orders))) == _one(
        db, select(func.count(Order.id)).where(Order.cancelled_at.isnot(None)))
    assert Decimal(_one(db, select(func.sum(SalesDay.refund_amount)))) == -Decimal(
        _one(db, select(func.sum(Payment.amount)).where(Payment.kind == REFUND)))
    assert _one(db, select(func.sum(ProductDay.units))) == _one(db, select(func.sum(OrderLine.qty)))
    assert _one(db, select(func.sum(ShipmentDay.shipments))) == _one(
        db, select(func.count(Shipment.id)).where(Shipment.status == "shipped"))
