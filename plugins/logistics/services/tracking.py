"""Tracking: a shipment's link to its carrier, made when it ships, and its
events (entered by staff, imported, or pushed by the carrier). An event
pushed twice with the same id is stored once. "Delivered" on the last of an
order's shipments completes the order through the orders lifecycle."""
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import func, select

from plugins.orders.models import PENDING_RECEIPT, SHIPMENT_SHIPPED, Order, Shipment
from plugins.orders.services import receive
from portal.events import EventRejected
from portal.extensions import db
from portal.i18n import N_
from portal.models import utcnow

from ..models import ACCEPTED, DELIVERED, STATUSES, Tracking, TrackingEvent
from . import carriers
from .core import SHIPMENT, audit, reach, text
from .errors import InvalidValue, NotFound, TrackingRefused

STATUS_LABELS = {"accepted": N_("accepted"), "in_transit": N_("in transit"), "out_for_delivery": N_("out for delivery"),
                 "delivered": N_("delivered"), "exception": N_("exception"), "returned": N_("returned")}


def on_shipment_shipped(event):
    """A shipment left its warehouse: refuse a tracking number its carrier
    cannot have, else start its tracking (linked to the carrier when the
    carrier is in the list)."""
    carrier = carriers.find(event.carrier)
    try:
        carriers.check_tracking(carrier, event.tracking_number)
    except TrackingRefused as exc:
        raise EventRejected(str(exc)) from None
    shipment = db.session.get(Shipment, event.shipment_id)
    tracking = tracking_of(shipment)
    tracking.carrier_id = carrier.id if carrier else None
    db.session.flush()


def tracking_of(shipment):
    """The shipment's tracking row, made on first use (shipments shipped
    before the plugin was on have none yet)."""
    tracking = db.session.execute(select(Tracking).where(Tracking.shipment_id == shipment.id)).scalar()
    if tracking is None:
        carrier = carriers.find(shipment.carrier)
        tracking = Tracking(shipment_id=shipment.id, merchant_id=shipment.merchant_id, status=ACCEPTED,
                            carrier_id=carrier.id if carrier else None,
                            last_event_at=shipment.shipped_at or utcnow())
        db.session.add(tracking)
        db.session.flush()
    return tracking


def parse_time(value, field):
    """A UTC ``datetime`` from ISO 8601 text (a time without offset is UTC)."""
    raw = text(value, field, 40, required=True)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(field, _("%(value)r is not a date and time (2026-05-01 14:30 or ISO 8601).",
                                    value=raw)) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def clean_status(value, field):
    status = text(value, field, 20, required=True).lower().replace(" ", "_").replace("-", "_")
    if status not in STATUSES:
        raise InvalidValue(field, _("%(value)r is not a tracking status (%(known)s).", value=value,
                                    known=", ".join(STATUSES)))
    return status


def add_event(actor, shipment, data, source, external_id=None, now=None):
    """Record one tracking event of a shipped shipment; ``(event, created)``:
    with an ``external_id`` already recorded for this shipment, the stored
    event and False. The latest event sets the shipment's status; a delivery
    completes the order once every shipment of it is delivered."""
    if shipment is None or shipment.status != SHIPMENT_SHIPPED:
        raise InvalidValue(_("shipment"), _("only a shipment that has left its warehouse can be tracked."))
    reach(actor, SHIPMENT, "write", shipment.merchant_id, _("Shipment"), shipment.id)
    status = clean_status(data.get("status"), _("status"))
    occurred_at = parse_time(data.get("occurred_at"), _("time"))
    location = text(data.get("location"), _("location"), 120)
    description = text(data.get("description"), _("description"), 300)
    tracking = tracking_of(shipment)
    if external_id:
        known = db.session.execute(select(TrackingEvent).where(TrackingEvent.tracking_id == tracking.id,
                                                               TrackingEvent.external_id == external_id)).scalar()
        if known is not None:
            return known, False
    event = TrackingEvent(tracking_id=tracking.id, merchant_id=tracking.merchant_id, status=status,
                          occurred_at=occurred_at, location=location, description=description, source=source,
                          external_id=external_id or None, created_at=now or utcnow(),
                          created_by_id=getattr(actor, "id", None))
    latest = db.session.execute(select(func.max(TrackingEvent.occurred_at))
                                .where(TrackingEvent.tracking_id == tracking.id)).scalar()
    db.session.add(event)
    # the newest event sets the status (a late-arriving older one only joins the timeline); a delivery stays
    if (latest is None or occurred_at >= latest or status == DELIVERED) and tracking.status != DELIVERED:
        tracking.status = status
    tracking.last_event_at = max(occurred_at, latest or occurred_at)
    if status == DELIVERED and tracking.delivered_at is None:
        tracking.delivered_at = occurred_at
    db.session.flush()
    audit("tracking_event", actor, shipment.tracking_number, shipment.merchant_id, shipment=shipment.id,
          status=status, occurred_at=occurred_at.isoformat(), source=source, external_id=external_id)
    if status == DELIVERED:
        _complete_if_delivered(actor, shipment)
    return event, True


def _complete_if_delivered(actor, shipment):
    """Every shipped shipment of the order delivered: the order is received."""
    order = db.session.get(Order, shipment.order_id)
    if order.state != PENDING_RECEIPT:
        return
    shipped = [s.id for s in order.shipments if s.status == SHIPMENT_SHIPPED]
    delivered = set(db.session.execute(select(Tracking.shipment_id).where(
        Tracking.shipment_id.in_(shipped), Tracking.delivered_at.is_not(None))).scalars())
    if set(shipped) <= delivered:
        receive(actor, order, note=_("Delivered: tracking number %(number)s.", number=shipment.tracking_number))


def shipment_by_tracking(carrier_text, tracking_number, actor=None):
    """The shipped shipment with this tracking number (and carrier, when given), or ``NotFound``."""
    number = text(tracking_number, _("tracking_number"), 64, required=True)
    query = select(Shipment).where(Shipment.tracking_number == number, Shipment.status == SHIPMENT_SHIPPED)
    rows = db.session.execute(query.order_by(Shipment.id)).scalars().all()
    carrier = carriers.find(carrier_text) if carrier_text else None
    if carrier_text:
        rows = [s for s in rows if (carriers.find(s.carrier) == carrier and carrier is not None)
                or s.carrier.strip().lower() == carrier_text.strip().lower()]
    if actor is not None and actor.merchant_id is not None:
        rows = [s for s in rows if s.merchant_id == actor.merchant_id]
    if not rows:
        raise NotFound(_("Shipment with tracking number"), number)
    return rows[0]


def get_shipment(actor, shipment_id):
    """A shipment the actor may reach; ``NotFound`` otherwise."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(_("Shipment"), shipment_id)
    reach(actor, SHIPMENT, "read", shipment.merchant_id, _("Shipment"), shipment_id)
    return shipment
