"""The orders JSON API (``/orders/api/v1``): sales channels place and read
orders with an API token (``Authorization: Bearer ptk_...``), and a payment
provider notifies payments signed with the shared secret. Thin routes: the
rules live in ``services.intake``. Exempt from CSRF: no route here trusts a
cookie (a token header or a signature authenticates every call)."""
from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal import settings
from portal.extensions import csrf, db
from portal.tokens import api_scoped, token_required

from .models import Order
from .services import intake

bp = Blueprint("orders_api", __name__, url_prefix="/orders/api/v1")
csrf.exempt(bp)


@bp.errorhandler(intake.ApiError)
def _refused(exc):
    db.session.rollback()
    return _answer(exc.status, exc.body)


def _answer(status, body, headers=None):
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _json_body():
    if not request.is_json:
        raise intake.ApiError(400, _("Send the body as JSON with the header 'Content-Type: application/json'."))
    data = request.get_json(silent=True)
    if data is None:
        raise intake.ApiError(400, _("The body is not valid JSON."))
    return data


def _placed(status, body, replayed=False):
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    if status == 201 and body.get("orders"):
        headers["Location"] = url_for(".get_order", number=body["orders"][0]["number"])
    return _answer(status, body, headers)


@bp.post("/orders")
@token_required("orders.order", "write")
def place_order():
    """Place a checkout; a retry with the same ``Idempotency-Key`` gets the first answer."""
    data = _json_body()
    key = intake.check_key(request.headers.get("Idempotency-Key"))
    try:
        claimed = intake.claim(g.api_token, key, intake.request_hash(data))
    except intake.Replay as replay:
        return _placed(replay.status, replay.body, replayed=True)
    body = intake.checkout_json(intake.place_order(g.api_actor, data))
    intake.complete(claimed, 201, body)
    db.session.commit()
    return _placed(201, body)


@bp.get("/orders/<number>")
@token_required("orders.order", "read")
def get_order(number):
    """One order of the token's merchant (any for a platform token)."""
    order = db.session.execute(api_scoped(select(Order).where(Order.number == number), Order)).scalar_one_or_none()
    if order is None:
        raise intake.ApiError(404, _("Order %(order)s does not exist.", order=number))
    return intake.order_json(order)


@bp.post("/payments/notify")
def payment_notify():
    """A payment provider's signed notification; the same one twice records one payment."""
    secret = settings.get("orders.payment_webhook_secret")
    if not secret:
        raise intake.ApiError(503, _("Payment notifications are not configured: set the payment notification "
                                     "secret in the settings."))
    if not intake.signature_ok(secret, request.get_data(cache=True), request.headers.get("X-Portal-Signature")):
        raise intake.ApiError(401, _("Bad or missing signature: send X-Portal-Signature: sha256=<HMAC-SHA256 of "
                                     "the body with the shared secret, in hex>."))
    payment, order = intake.record_notification(_json_body())
    body = intake.payment_json(payment, order)
    db.session.commit()
    return body
