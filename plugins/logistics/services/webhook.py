"""The carrier's push: ``{"carrier", "tracking_number", "events": [{"id",
"status", "time", "location", "description"}]}`` signed with the shared
secret (``X-Portal-Signature: sha256=<hex HMAC-SHA256 of the body>``). Each
event's ``id`` makes a retry harmless: an id already recorded is skipped."""
import hashlib
import hmac
import re

from flask_babel import gettext as _

from .errors import InvalidValue
from .tracking import add_event, shipment_by_tracking

SIGNATURE = re.compile(r"^sha256=([0-9a-fA-F]{64})$")
MAX_EVENTS = 200


def signature_ok(secret, body, header):
    """Does the header carry the HMAC-SHA256 of the raw body under ``secret``?"""
    match = SIGNATURE.match((header or "").strip())
    if not secret or not match:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).lower())


def receive_push(data):
    """Record the pushed events; ``(shipment, created, skipped)``. ``InvalidValue``
    naming the field, ``NotFound`` for an unknown tracking number."""
    if not isinstance(data, dict):
        raise InvalidValue("body", _("must be a JSON object."))
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise InvalidValue("events", _("required: a list of events, each with id, status and time."))
    if len(events) > MAX_EVENTS:
        raise InvalidValue("events", _("at most %(n)s events per call.", n=MAX_EVENTS))
    carrier = data.get("carrier") if isinstance(data.get("carrier"), str) else ""
    shipment = shipment_by_tracking(carrier, data.get("tracking_number"))
    created = skipped = 0
    for n, item in enumerate(events):
        if not isinstance(item, dict) or not isinstance(item.get("id"), (str, int)) or not str(item["id"]).strip():
            raise InvalidValue(f"events[{n}].id", _("required: the carrier's id for the event."))
        try:
            _event, new = add_event(None, shipment, {"status": item.get("status"), "occurred_at": item.get("time"),
                                                      "location": item.get("location"),
                                                      "description": item.get("description")},
                                    "webhook", external_id=str(item["id"]).strip()[:100])
        except InvalidValue as exc:
            raise InvalidValue(f"events[{n}].{exc.field}", exc.problem) from None
        created, skipped = created + new, skipped + (not new)
    return shipment, created, skipped
