"""Carriers: the platform's list, and the check of a shipment's tracking
number against its carrier's pattern."""
import re

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal import access
from portal.extensions import db

from ..models import Carrier
from .core import CARRIER, audit, text
from .errors import InvalidValue, NotFound, TrackingRefused


def clean(data):
    """A carrier's columns from the form; the pattern must compile and the URL carry ``{number}``."""
    pattern = text(data.get("tracking_pattern"), _("tracking number pattern"), 200)
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidValue(_("tracking number pattern"), _("not a regular expression: %(error)s.",
                                                                error=exc)) from None
    url = text(data.get("tracking_url"), _("tracking URL"), 300)
    if url and ("{number}" not in url or not url.startswith(("https://", "http://"))):
        raise InvalidValue(_("tracking URL"), _("an http(s) address with {number} where the tracking number goes."))
    return {"code": text(data.get("code"), _("code"), 32, required=True).upper(),
            "name": text(data.get("name"), _("name"), 120, required=True), "tracking_url": url,
            "tracking_pattern": pattern, "active": bool(data.get("active"))}


def _unique_code(code, carrier_id=None):
    other = db.session.execute(select(Carrier.id).where(Carrier.code == code)).scalar()
    if other is not None and other != carrier_id:
        raise InvalidValue(_("code"), _("%(code)s is already a carrier's code.", code=code))


def create_carrier(actor, data):
    """Add a carrier to the list (``logistics.carrier`` write)."""
    if actor is not None:
        access.require(CARRIER, "write", actor)
    columns = clean(data)
    _unique_code(columns["code"])
    carrier = Carrier(**columns)
    db.session.add(carrier)
    db.session.flush()
    audit("carrier_create", actor, carrier.code, **columns)
    return carrier


def update_carrier(actor, carrier_id, data):
    """Change a carrier; shipments already shipped keep their tracking numbers."""
    if actor is not None:
        access.require(CARRIER, "write", actor)
    carrier = db.session.get(Carrier, carrier_id)
    if carrier is None:
        raise NotFound(_("Carrier"), carrier_id)
    columns = clean(data)
    _unique_code(columns["code"], carrier.id)
    for key, value in columns.items():
        setattr(carrier, key, value)
    db.session.flush()
    audit("carrier_update", actor, carrier.code, id=carrier.id, **columns)
    return carrier


def find(name):
    """The active carrier a shipment's carrier text names (its code or its name, any case), or None."""
    key = (name or "").strip().lower()
    if not key:
        return None
    return db.session.execute(select(Carrier).where(
        Carrier.active.is_(True), or_(func.lower(Carrier.code) == key, func.lower(Carrier.name) == key))
        .order_by(Carrier.id).limit(1)).scalar()


def check_tracking(carrier, number):
    """``TrackingRefused`` when ``number`` does not match the carrier's pattern (whole number, any case)."""
    if carrier is not None and carrier.tracking_pattern and \
            not re.fullmatch(carrier.tracking_pattern, number or "", flags=re.IGNORECASE):
        raise TrackingRefused(carrier.name, number, carrier.tracking_pattern)
