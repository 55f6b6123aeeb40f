"""Demo logistics: three carriers, a store template per demo merchant and
templates for two categories, and tracking for the demo's shipped shipments
(delivered for the orders the buyer received, on their way or late for the
others). Does nothing when the demo carriers exist already."""
import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from plugins.catalog.models import Category, Product
from plugins.orders.models import COMPLETED, SHIPMENT_SHIPPED, Order, Shipment
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow

from .models import (ACCEPTED, BY_COUNT, BY_VOLUME, BY_WEIGHT, DELIVERED, IN_TRANSIT, OUT_FOR_DELIVERY, Carrier,
                     FreightTemplate, FreightZone, Tracking, TrackingEvent)

SEED = 7
CARRIERS = (
    ("SF", "SF Express", "https://www.sf-express.com/cn/en/dynamic_function/waybill/#search/bill-number/{number}",
     r"(SF[0-9A-Z]{7,15}|DEMO[0-9]{10})"),
    ("ZTO", "ZTO Express", "https://www.zto.com/express/expressCheck.html?txtBill={number}",
     r"(7[0-9]{11,14}|DEMO[0-9]{10})"),
    ("JD", "JD Logistics", "https://www.jdl.com/orderSearch/?waybillCodes={number}",
     r"(JD[A-Z0-9]{13}|DEMO[0-9]{10})"),
)
NEAR = "CN-SH CN-JS CN-ZJ"
NEAR_CITIES = "440100 440300"  # Guangzhou and Shenzhen: near, though Guangdong is not
FAR = "CN-XZ CN-XJ"
RECEIVED = (COMPLETED, "after_sales", "closed")


def _zones(base, per):
    """Near provinces and cities, the rest of China, no delivery to the far west, Hong Kong/Macao/Taiwan."""
    return [FreightZone(position=0, regions=NEAR, first_units=1, first_fee=Decimal(base),
                        additional_units=1, additional_fee=Decimal(per), free_over_amount=Decimal(199)),
            FreightZone(position=1, regions=NEAR_CITIES, first_units=1, first_fee=Decimal(base),
                        additional_units=1, additional_fee=Decimal(per), free_over_amount=Decimal(199)),
            FreightZone(position=2, regions="CN", first_units=1, first_fee=Decimal(base) + 4,
                        additional_units=1, additional_fee=Decimal(per) + 2, free_over_amount=Decimal(299)),
            FreightZone(position=3, regions=FAR, no_delivery=True),
            FreightZone(position=4, regions="HK MO TW", first_units=1, first_fee=Decimal(30),
                        additional_units=1, additional_fee=Decimal(15), free_over_count=10)]


def load_demo(merchants, echo):
    """Create the demo carriers, templates and tracking."""
    if db.session.execute(select(Carrier.id).where(Carrier.code.in_([c[0] for c in CARRIERS]))).first():
        echo("Logistics: the demo carriers exist already; no demo logistics data was added.")
        return None
    rng = random.Random(SEED)
    carriers = [Carrier(code=code, name=name, tracking_url=url, tracking_pattern=pattern)
                for code, name, url, pattern in CARRIERS]
    db.session.add_all(carriers)
    db.session.flush()
    stats = Counter(carriers=len(carriers))
    for merchant in merchants:
        _templates(merchant, stats)
    _tracking(rng, [m.id for m in merchants], {c.name.lower(): c for c in carriers}, stats)
    db.session.flush()
    record("logistics.demo", target="demo", plugin="logistics", actor="demo", summary=dict(stats))
    echo(f"Logistics: {stats['carriers']} carriers, {stats['templates']} freight templates, tracking for "
         f"{stats['tracked']} shipments ({stats['delivered']} delivered, {stats['events']} events).")
    return stats


def _templates(merchant, stats):
    """The store default (per item) and, for its two largest categories, by weight and by volume."""
    db.session.add(FreightTemplate(merchant_id=merchant.id, name=f"{merchant.code} standard", basis=BY_COUNT,
                                   zones=_zones(6, 2)))
    stats["templates"] += 1
    categories = db.session.execute(select(Category.id, Category.name_en).join(
        Product, Product.category_id == Category.id).where(Product.merchant_id == merchant.id)
        .group_by(Category.id, Category.name_en).order_by(Category.id).limit(2)).all()
    for (category_id, name), basis in zip(categories, (BY_WEIGHT, BY_VOLUME)):
        db.session.add(FreightTemplate(merchant_id=merchant.id, category_id=category_id, basis=basis,
                                       name=f"{merchant.code} {name} ({basis})", zones=_zones(8, 3)))
        stats["templates"] += 1


def _tracking(rng, merchant_ids, carriers, stats):
    """Events for each shipped shipment: accepted, in transit, then delivered
    when its order was received; a few parcels on their way stay without news."""
    now = utcnow()
    rows = db.session.execute(select(Shipment, Order.state, Order.received_at).join(Order, Order.id == Shipment.order_id)
                              .where(Shipment.merchant_id.in_(merchant_ids), Shipment.status == SHIPMENT_SHIPPED)
                              .order_by(Shipment.id)).all()
    existing = {t.shipment_id: t for t in db.session.execute(select(Tracking).where(
        Tracking.shipment_id.in_([shipment.id for shipment, _s, _r in rows]))).scalars()} if rows else {}
    for shipment, state, received_at in rows:
        carrier = carriers.get((shipment.carrier or "").lower())
        shipped = shipment.shipped_at or now
        steps = [(ACCEPTED, shipped, "Collected from the warehouse")]
        if state in RECEIVED and received_at:
            steps += [(IN_TRANSIT, shipped + (received_at - shipped) / 3, "At the sorting centre"),
                      (OUT_FOR_DELIVERY, received_at - timedelta(hours=3), "Out for delivery"),
                      (DELIVERED, received_at, "Signed by the buyer")]
        elif rng.random() < 0.7:
            steps.append((IN_TRANSIT, min(now, shipped + timedelta(hours=rng.randint(6, 30))), "In transit"))
        status, last = steps[-1][0], steps[-1][1]
        # the shipment's tracking began when the demo order shipped (logistics was on)
        tracking = existing.get(shipment.id) or Tracking(shipment_id=shipment.id, merchant_id=shipment.merchant_id)
        tracking.carrier_id, tracking.status, tracking.last_event_at = carrier.id if carrier else None, status, last
        tracking.delivered_at = last if status == DELIVERED else None
        tracking.events = [TrackingEvent(merchant_id=shipment.merchant_id, status=s, occurred_at=at,
                                         description=text, source="demo", created_at=now) for s, at, text in steps]
        db.session.add(tracking)
        stats["tracked"] += 1
        stats["events"] += len(steps)
        stats["delivered"] += status == DELIVERED
