"""The orders API's intake: a JSON order checked field by field before it is
placed, the ``Idempotency-Key`` that makes a retried placement answer the
first response instead of placing again, payment notifications, and orders as
JSON. The routes in ``api.py`` read the request, call these and answer;
refusals are ``ApiError`` (a status and a JSON body)."""
import hashlib
import hmac
import json
import re

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugins.catalog.models import Sku
from portal.events import EventRejected
from portal.extensions import db
from portal.models import Merchant
from portal.money import quantize

from ..models import PENDING_PAYMENT, IdempotencyKey, Order
from . import placing
from .core import text
from .errors import (EmptyOrder, InvalidField, InvalidLine, InvalidPayment, InvalidQuantity, OrdersError,
                     OutOfStock, PaymentConflict)
from .lifecycle import paid_amount
from .payments import record_payment

KEY_TEXT = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII without spaces, as Stripe-like clients send
SIGNATURE = re.compile(r"^sha256=([0-9a-fA-F]{64})$")
BUYER_FIELDS = ("name", "phone", "email", "region", "city", "district", "address", "postcode")
# stand-ins that pass ``clean_buyer``, put in place of a bad field so the next bad one is found too
_VALID_BUYER = {"name": "-", "phone": "-", "email": "", "region": "CN", "city": "", "district": "",
                "address": "-", "postcode": ""}


class ApiError(Exception):
    """A refused request: ``status`` and the JSON ``body`` to answer."""

    def __init__(self, status, message, errors=None):
        self.status = status
        self.body = {"error": str(message), "status": status}
        if errors:
            self.body["errors"] = errors
        super().__init__(str(message))


class Replay(Exception):
    """The key was answered before: ``status`` and ``body`` to answer again."""

    def __init__(self, status, body):
        self.status, self.body = status, body
        super().__init__(status)


def field_error(field, message):
    """One entry of ``errors``: the JSON path of the field and what is wrong with it."""
    return {"field": field, "message": str(message)}


# -- idempotency ----------------------------------------------------------------------

def check_key(value):
    """The ``Idempotency-Key`` header's value; ``ApiError`` 400 when missing or malformed."""
    if not value:
        raise ApiError(400, _("Missing Idempotency-Key header: send a unique key per order (e.g. a UUID), "
                              "and the same key when you retry that order."))
    if not KEY_TEXT.match(value):
        raise ApiError(400, _("Idempotency-Key: 1 to 100 printable ASCII characters without spaces."))
    return value


def request_hash(data):
    """The SHA-256 of a decoded JSON body, keys sorted: the same order sent
    with other spacing or key order is the same request."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def owner_of(token):
    """Keys belong to the token's owner, so a retry sent with a replacement token still matches."""
    return "platform" if token.merchant_id is None else f"merchant:{token.merchant_id}"


def claim(token, key, digest):
    """Write the key's row first, in a transaction of its own that the
    placement continues; returns the row. A twin request answered before (or
    answering now: it holds the unique key until it commits) raises ``Replay``
    with its answer after this transaction is rolled back; ``ApiError`` 422
    when the key came with another body, 409 while the twin is unanswered."""
    owner, merchant_id, token_id = owner_of(token), token.merchant_id, token.id
    # start from a fresh transaction, so the insert sees every committed twin; its first
    # statement is that write (the token's figures were read above: reading it again
    # after the commit would open a read transaction, which SQLite cannot turn into a
    # write once another worker has written)
    db.session.commit()
    row = IdempotencyKey(owner=owner, key=key, merchant_id=merchant_id, token_id=token_id, request_hash=digest)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        twin = db.session.execute(select(IdempotencyKey).where(
            IdempotencyKey.owner == owner, IdempotencyKey.key == key)).scalar_one_or_none()
        if twin is not None and twin.request_hash != digest:
            raise ApiError(422, _("Idempotency-Key %(key)s was already used for another request; send a new key "
                                  "for a new order.", key=key),
                           [field_error("Idempotency-Key", _("already used with another body."))]) from None
        if twin is None or twin.status is None:
            raise ApiError(409, _("A request with Idempotency-Key %(key)s is still being answered; retry it in a "
                                  "moment.", key=key)) from None
        raise Replay(twin.status, json.loads(twin.response)) from None
    return row


def complete(row, status, body):
    """Keep the answer on the key's row (committed with the placement)."""
    row.status, row.response = status, json.dumps(body, ensure_ascii=False)


# -- reading an order ---------------------------------------------------------------------

def read_order(data, merchant_id):
    """``(channel, customer_ref, buyer, lines, coupon_codes)`` for ``placing.place`` from a
    decoded body, ``lines`` as ``[(sku_id, qty)]`` in the order given, SKU
    codes looked up within ``merchant_id`` (a merchant's token) or as
    ``MERCHANT/CODE`` (the platform's). ``ApiError`` 422 naming every field
    found wrong."""
    if not isinstance(data, dict):
        raise ApiError(400, _("The body must be a JSON object."))
    errors = []
    channel = _text(data, "channel", 32, True, errors)
    customer_ref = _text(data, "customer_ref", 64, False, errors)
    buyer = _buyer(data.get("buyer"), errors)
    lines = _lines(data.get("lines"), merchant_id, errors)
    coupon_codes = _coupon_codes(data.get("coupon_codes"), errors)
    if errors:
        raise ApiError(422, _("The order was not placed: correct the fields listed."), errors)
    return channel, customer_ref, buyer, lines, coupon_codes


def _coupon_codes(value, errors):
    """The optional ``coupon_codes``: a list of strings."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        errors.append(field_error("coupon_codes", _("must be a list of coupon codes (strings).")))
        return ()
    try:
        return placing.clean_coupon_codes(value)
    except InvalidField as exc:
        errors.append(field_error("coupon_codes", exc.problem))
        return ()


def _text(data, field, max_length, required, errors):
    value = data.get(field)
    if value is not None and not isinstance(value, str):
        errors.append(field_error(field, _("must be a string.")))
        return ""
    try:
        return text(value, field, max_length, required)
    except InvalidField as exc:
        errors.append(field_error(field, exc.problem))
        return ""


def _buyer(value, errors):
    if not isinstance(value, dict):
        errors.append(field_error("buyer", _("required: an object with name, phone, region and address.")))
        return {}
    data = {}
    for name in BUYER_FIELDS:
        data[name] = value.get(name)
        if data[name] is not None and not isinstance(data[name], str):
            errors.append(field_error(f"buyer.{name}", _("must be a string.")))
            data[name] = _VALID_BUYER[name]
    checked = dict(data)
    # clean_buyer stops at the first bad field: put a stand-in there and ask again
    for _attempt in BUYER_FIELDS:
        try:
            placing.clean_buyer(checked)
            break
        except InvalidField as exc:
            errors.append(field_error(f"buyer.{exc.field}", exc.problem))
            if exc.field not in _VALID_BUYER:
                break
            checked[exc.field] = _VALID_BUYER[exc.field]
    return data


def _lines(value, merchant_id, errors):
    if not isinstance(value, list) or not value:
        errors.append(field_error("lines", _("required: a list of lines, each with sku (or sku_id) and qty.")))
        return []
    if len(value) > placing.MAX_LINES:
        errors.append(field_error("lines", _("at most %(n)s lines per order.", n=placing.MAX_LINES)))
        return []
    wanted = []  # (index, "sku" or "sku_id", the value given, qty)
    for index, line in enumerate(value):
        path = f"lines[{index}]"
        if not isinstance(line, dict):
            errors.append(field_error(path, _("must be an object with sku (or sku_id) and qty.")))
            continue
        qty = line.get("qty")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            errors.append(field_error(f"{path}.qty", _("%(value)s is not a whole number above zero.",
                                                       value=json.dumps(qty))))
        has_code, has_id = line.get("sku") is not None, line.get("sku_id") is not None
        if has_code == has_id:
            errors.append(field_error(f"{path}.sku", _("give either sku (the SKU code) or sku_id, one of them.")))
        elif has_id and (isinstance(line["sku_id"], bool) or not isinstance(line["sku_id"], int)):
            errors.append(field_error(f"{path}.sku_id", _("must be a whole number.")))
        elif has_code and (not isinstance(line["sku"], str) or not line["sku"].strip()):
            errors.append(field_error(f"{path}.sku", _("must be a SKU code (text).")))
        else:
            wanted.append((index, "sku_id" if has_id else "sku", line["sku_id"] if has_id else line["sku"].strip(),
                           qty))
    found = _resolve(wanted, merchant_id, errors)
    return [(found[index], qty) for index, _field, _value, qty in wanted if index in found]


def _resolve(wanted, merchant_id, errors):
    """``{line index: sku_id}`` of the SKUs the token's owner may order; an
    error naming each SKU that does not exist for it."""
    ids = {value for _i, field, value, _q in wanted if field == "sku_id"}
    codes = {value for _i, field, value, _q in wanted if field == "sku"}
    by_id = dict(db.session.execute(select(Sku.id, Sku.merchant_id).where(Sku.id.in_(ids))).all()) if ids else {}
    by_code = {}
    if codes and merchant_id is not None:
        by_code = {code: sku_id for sku_id, code in db.session.execute(
            select(Sku.id, Sku.code).where(Sku.merchant_id == merchant_id, Sku.code.in_(codes)))}
    elif codes:
        plain = {code.partition("/")[2] for code in codes}
        by_code = {f"{merchant_code}/{code}": sku_id for sku_id, code, merchant_code in db.session.execute(
            select(Sku.id, Sku.code, Merchant.code).join(Merchant, Merchant.id == Sku.merchant_id)
            .where(Sku.code.in_(plain)))}
    found = {}
    for index, field, value, _qty in wanted:
        if field == "sku_id":
            sku_id = value if value in by_id and merchant_id in (None, by_id[value]) else None
        else:
            sku_id = by_code.get(value)
        if sku_id is not None:
            found[index] = sku_id
        elif field == "sku" and merchant_id is None and "/" not in value:
            errors.append(field_error(f"lines[{index}].sku", _(
                "a platform token names a SKU as MERCHANT/CODE (e.g. M0001/TEA-1) or by sku_id.")))
        else:
            errors.append(field_error(f"lines[{index}].{field}", _("SKU %(sku)s does not exist.", sku=value)))
    return found


def api_error_of(exc, data):
    """The ``ApiError`` for an ``OrdersError`` ``placing.place`` raised on a
    body ``read_order`` accepted: the field by its JSON path."""
    problem = getattr(exc, "problem", str(exc))
    if isinstance(exc, InvalidLine) or isinstance(exc, OutOfStock):
        line = data["lines"][exc.line - 1]
        sku_field = "sku_id" if line.get("sku_id") is not None else "sku"
        field = f"lines[{exc.line - 1}].{'qty' if isinstance(exc, (InvalidQuantity, OutOfStock)) else sku_field}"
    elif isinstance(exc, InvalidField):
        field = f"buyer.{exc.field}" if exc.field in BUYER_FIELDS else exc.field
    elif isinstance(exc, EmptyOrder):
        field = "lines"
    else:
        field = None
    status = 409 if isinstance(exc, OutOfStock) else 422
    return ApiError(status, str(exc), [field_error(field, problem if field else str(exc))])


def place_order(actor, data):
    """Place the order a channel sends: ``read_order``, then ``placing.place``
    with the token as the acting identity (``portal.tokens.TokenActor``: its
    permissions and merchant are checked again there, and the audit rows
    name it). Returns the ``Checkout``; ``ApiError`` otherwise,
    nothing written by this call."""
    channel, customer_ref, buyer, lines, coupon_codes = read_order(data, actor.merchant_id)
    try:
        checkout = placing.place(actor, channel, buyer, lines, customer_ref, coupon_codes=coupon_codes,
                                 points=data.get("points"))
    except OrdersError as exc:
        raise api_error_of(exc, data) from exc
    except EventRejected as exc:  # a plugin refused the placing (a coupon or points used up meanwhile)
        raise ApiError(409, str(exc), [field_error(None, str(exc))]) from exc
    return checkout


# -- payment notifications -------------------------------------------------------------

def signature_ok(secret, body, header):
    """Does ``X-Portal-Signature: sha256=<hex>`` carry the HMAC-SHA256 of the raw body under ``secret``?"""
    match = SIGNATURE.match((header or "").strip())
    if not match:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).lower())


def record_notification(data):
    """Record the payment a provider notifies; ``(payment, order)``. The same
    notification again returns the payment already recorded. ``ApiError``: 422
    for a field missing or wrong, 404 for an unknown order, 409 when the order
    takes no payment or the reference is taken, 422 for an amount or currency
    it cannot take."""
    if not isinstance(data, dict):
        raise ApiError(400, _("The body must be a JSON object."))
    errors = []
    for field in ("order", "method", "currency", "provider_ref"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            errors.append(field_error(field, _("required: a string.")))
    amount = data.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (str, int)):
        errors.append(field_error("amount", _('required: the amount as a string, e.g. "12.50".')))
    if errors:
        raise ApiError(422, _("The notification was not recorded: correct the fields listed."), errors)
    order = db.session.execute(select(Order).where(Order.number == data["order"].strip())).scalar_one_or_none()
    if order is None:
        raise ApiError(404, _("Order %(order)s does not exist.", order=data["order"].strip()))
    try:
        payment = record_payment(None, order, data["method"], amount, data["currency"], data["provider_ref"])
    except InvalidField as exc:
        raise ApiError(422, str(exc), [field_error(exc.field, exc.problem)]) from exc
    except InvalidPayment as exc:
        taken = isinstance(exc, PaymentConflict) or order.state != PENDING_PAYMENT
        raise ApiError(409 if taken else 422, str(exc)) from exc
    return payment, order


# -- as JSON ------------------------------------------------------------------------

def _money(value, currency):
    return str(quantize(value, currency))


def _time(value):
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def order_json(order):
    """An order as the API shows it: amounts as strings, times in UTC."""
    currency = order.currency
    return {
        "number": order.number, "checkout": order.checkout.number, "merchant": order.merchant.code,
        "state": order.state, "currency": currency, "subtotal": _money(order.subtotal, currency),
        "adjustments_total": _money(order.adjustments_total, currency), "total": _money(order.total, currency),
        "paid": _money(paid_amount(order), currency), "placed_at": _time(order.placed_at),
        "paid_at": _time(order.paid_at), "shipped_at": _time(order.shipped_at),
        "cancelled_at": _time(order.cancelled_at),
        "lines": [{"sku": line.sku_code, "sku_id": line.sku_id, "title": line.title, "qty": line.qty,
                   "unit_price": _money(line.unit_price, currency), "line_total": _money(line.line_total, currency)}
                  for line in order.lines],
        "adjustments": [{"source": a.source, "kind": a.kind, "reason": a.reason,
                         "amount": _money(a.amount, currency), "sku": a.line.sku_code if a.line else None}
                        for a in order.adjustments],
    }


def checkout_json(checkout):
    """A placed checkout and its merchant orders."""
    currency = checkout.currency
    return {
        "checkout": {"number": checkout.number, "channel": checkout.channel, "customer_ref": checkout.customer_ref,
                     "currency": currency, "subtotal": _money(checkout.subtotal, currency),
                     "adjustments_total": _money(checkout.adjustments_total, currency),
                     "total": _money(checkout.total, currency), "placed_at": _time(checkout.placed_at)},
        "orders": [order_json(order) for order in checkout.orders],
    }


def payment_json(payment, order):
    """A recorded payment and the state it left its order in."""
    return {
        "payment": {"id": payment.id, "method": payment.method, "amount": _money(payment.amount, payment.currency),
                    "currency": payment.currency, "provider_ref": payment.provider_ref,
                    "paid_at": _time(payment.paid_at)},
        "order": {"number": order.number, "state": order.state, "total": _money(order.total, order.currency),
                  "paid": _money(paid_amount(order), order.currency)},
    }
