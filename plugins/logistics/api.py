"""The carrier webhook (``/logistics/api/v1/tracking``): a signature with the
shared secret authenticates the call, so it is exempt from CSRF."""
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from plugins.orders.services import OrdersError
from portal import settings
from portal.events import EventRejected
from portal.extensions import csrf, db

from .services.errors import InvalidValue, NotFound
from .services.webhook import receive_push, signature_ok

bp = Blueprint("logistics_api", __name__, url_prefix="/logistics/api/v1")
csrf.exempt(bp)


def _answer(status, body):
    response = jsonify(body)
    response.status_code = status
    return response


@bp.post("/tracking")
def tracking_push():
    """A carrier's tracking events for one shipment; the same event twice is recorded once."""
    secret = settings.get("logistics.webhook_secret")
    if not secret:
        return _answer(503, {"error": _("Tracking pushes are not configured: set the tracking webhook secret.")})
    if not signature_ok(secret, request.get_data(cache=True), request.headers.get("X-Portal-Signature")):
        return _answer(401, {"error": _("Bad or missing signature: send X-Portal-Signature: sha256=<HMAC-SHA256 "
                                        "of the body with the shared secret, in hex>.")})
    data = request.get_json(silent=True)
    try:
        shipment, created, skipped = receive_push(data)
        db.session.commit()
    except InvalidValue as exc:
        db.session.rollback()
        return _answer(422, {"error": str(exc), "errors": [{"field": exc.field, "message": str(exc.problem)}]})
    except NotFound as exc:
        db.session.rollback()
        return _answer(404, {"error": str(exc), "errors": [{"field": "tracking_number", "message": str(exc)}]})
    except (OrdersError, EventRejected) as exc:
        db.session.rollback()
        return _answer(409, {"error": str(exc)})
    return {"shipment": shipment.id, "tracking_number": shipment.tracking_number, "recorded": created,
            "already_recorded": skipped}
