"""The demo logistics data: three carriers, a store template per demo
merchant and category templates, tracking for the shipped demo shipments
(delivered for the received orders); a second run adds nothing."""
from sqlalchemy import func, select

from plugins.logistics.models import Carrier, FreightTemplate, Tracking, TrackingEvent
from plugins.orders.models import COMPLETED, SHIPMENT_SHIPPED, Order, Shipment
from portal import demo as portal_demo


def test_the_demo_logistics(db):
    lines = []
    assert portal_demo.load_demo(echo=lines.append)
    assert any(line.startswith("Logistics:") for line in lines)
    assert db.session.execute(select(func.count(Carrier.id))).scalar() == 3
    defaults = db.session.execute(select(FreightTemplate.merchant_id).where(
        FreightTemplate.category_id.is_(None))).scalars().all()
    merchants = set(db.session.execute(select(Order.merchant_id)).scalars())
    assert merchants <= set(defaults) and len(defaults) == len(set(defaults))
    assert db.session.execute(select(func.count(FreightTemplate.id)).where(
        FreightTemplate.category_id.is_not(None))).scalar() >= 2
    shipped = db.session.execute(select(func.count(Shipment.id)).where(Shipment.status == SHIPMENT_SHIPPED)).scalar()
    assert shipped and db.session.execute(select(func.count(Tracking.id))).scalar() == shipped
    delivered = db.session.execute(select(Tracking).join(Shipment, Shipment.id == Tracking.shipment_id)
                                   .join(Order, Order.id == Shipment.order_id)
                                   .where(Order.state == COMPLETED)).scalars().all()
    assert delivered and all(t.status == "delivered" for t in delivered)
    events = db.session.execute(select(func.count(TrackingEvent.id))).scalar()
    portal_demo.load_demo(echo=lines.append)
    assert db.session.execute(select(func.count(TrackingEvent.id))).scalar() == events
