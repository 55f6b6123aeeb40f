"""The orders JSON API through the client: placing with a token and an
Idempotency-Key (a retry never places twice), errors naming each field,
the token's merchant scope, and signed payment notifications."""
import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.orders.models import IdempotencyKey, Order, Payment
from plugins.orders.services.intake import request_hash
from portal import settings, tokens
from portal.extensions import db as _db
from portal.models import AuditLog
from tests.conftest import create_user
from tests.plugins.orders.helpers import buyer, count, figures, place_one, state_of

URL = "/orders/api/v1/orders"
NOTIFY = "/orders/api/v1/payments/notify"
SECRET = "s3cret-shared-with-the-provider"


def token_for(merchant, level="write"):
    """The plain text of a token of ``merchant`` (None: the platform) with ``level`` on orders."""
    creator = create_user("merchant_admin", merchant) if merchant else create_user("platform_admin")
    _token, plain = tokens.create_token("Shop", {"orders.order": level}, merchant.id if merchant else None, creator)
    return plain


def order_body(lines, **changes):
    return {"channel": "shop", "customer_ref": "WEB-1", "buyer": buyer(), "lines": lines, **changes}


def post(client, plain, body, key="key-1", **headers):
    _db.session.commit()  # what the test set up is there before the request, as in production
    if key:
        headers["Idempotency-Key"] = key
    return client.post(URL, json=body, headers={"Authorization": f"Bearer {plain}", **headers})


def errors_of(response):
    return {e["field"]: e["message"] for e in response.get_json()["errors"]}


# -- placing ------------------------------------------------------------------------------

def test_a_merchant_token_places_an_order_and_its_stock_is_reserved(db, client, store):
    plain = token_for(store.m)
    before = db.session.execute(select(func.max(AuditLog.id))).scalar()
    response = post(client, plain, order_body([{"sku": store.a.code, "qty": 2}, {"sku_id": store.b.id, "qty": 1}]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    [order] = body["orders"]
    assert (order["state"], order["currency"], order["total"], order["merchant"]) == (
        "pending_payment", "CNY", "30.00", store.m.code)
    assert [(line["sku"], line["qty"], line["line_total"]) for line in order["lines"]] == [
        (store.a.code, 2, "20.00"), (store.b.code, 1, "10.00")]
    assert body["checkout"]["total"] == "30.00" and body["checkout"]["number"].startswith("C")
    assert response.headers["Location"].endswith(f"{URL}/{order['number']}")
    assert "Idempotent-Replayed" not in response.headers
    assert figures(db, store.a, store.sh) == (10, 2)
    # the service's own audit row names the token that placed the order, not "system"
    placed = db.session.execute(select(AuditLog).where(AuditLog.action == "orders.place")).scalar_one()
    prefix = plain.split("_")[1]
    assert placed.target == order["number"] and placed.actor == f"api token ptk_{prefix} (Shop)"
    assert placed.user_id is None
    written = db.session.execute(select(AuditLog.action, AuditLog.actor).where(AuditLog.id > before)).all()
    assert written and {actor for _action, actor in written} == {placed.actor}, written


def test_the_order_page_names_the_token_that_placed_the_order(db, client, store, login_as):
    plain = token_for(store.m)
    [order] = post(client, plain, order_body([{"sku": store.a.code, "qty": 1}])).get_json()["orders"]
    placed = db.session.execute(select(Order).where(Order.number == order["number"])).scalar_one()
    login_as("merchant_admin", store.m)
    page = client.get(f"/orders/{placed.id}").get_data(as_text=True)
    history = page[page.index('data-testid="history"'):]
    history = history[:history.index("</table>")]
    assert f"api token ptk_{plain.split('_')[1]} (Shop)" in history and "System" not in history


def test_a_token_without_write_is_refused_by_the_placing_service_too(db, store):
    from plugins.orders.services import place
    from portal.access import AccessDenied
    from portal.models import ApiToken

    plain = token_for(store.m, level="read")
    token = db.session.execute(select(ApiToken).where(ApiToken.prefix == plain.split("_")[1])).scalar_one()
    with pytest.raises(AccessDenied):
        place(tokens.TokenActor(token), "shop", buyer(), [(store.a.id, 1)])
    assert count(db, Order) == 0


def test_a_retry_with_the_same_key_answers_the_first_response_and_places_nothing(db, client, store):
    plain = token_for(store.m)
    body = order_body([{"sku": store.a.code, "qty": 2}])
    first = post(client, plain, body)
    again = post(client, plain, json.loads(json.dumps(body, sort_keys=True)))  # key order does not matter
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert count(db, Order) == 1 and figures(db, store.a, store.sh) == (10, 2)
    # another token of the same merchant shares its keys
    assert post(client, token_for(store.m), body).headers["Idempotent-Replayed"] == "true"
    assert count(db, Order) == 1


def test_the_same_key_with_another_body_is_refused(db, client, store):
    plain = token_for(store.m)
    post(client, plain, order_body([{"sku": store.a.code, "qty": 2}]))
    response = post(client, plain, order_body([{"sku": store.a.code, "qty": 3}]))
    assert response.status_code == 422
    assert "Idempotency-Key key-1 was already used for another request" in response.get_json()["error"]
    assert "Idempotency-Key" in errors_of(response)
    assert count(db, Order) == 1 and figures(db, store.a, store.sh) == (10, 2)


def test_a_key_still_being_answered_is_409(db, client, store):
    plain, body = token_for(store.m), order_body([{"sku": store.a.code, "qty": 1}])
    db.session.add(IdempotencyKey(owner=f"merchant:{store.m.id}", key="key-1", request_hash=request_hash(body)))
    _db.session.commit()
    response = post(client, plain, body)
    assert response.status_code == 409 and "still being answered" in response.get_json()["error"]
    assert count(db, Order) == 0


@pytest.mark.parametrize("key, message", [
    (None, "Missing Idempotency-Key header"),
    ("x" * 101, "1 to 100 printable ASCII characters"),
    ("has space", "1 to 100 printable ASCII characters"),
])
def test_a_missing_or_malformed_key_is_400(db, client, store, key, message):
    headers = {"Idempotency-Key": key} if key else {}
    response = post(client, token_for(store.m), order_body([{"sku": store.a.code, "qty": 1}]), key=None, **headers)
    assert response.status_code == 400 and message in response.get_json()["error"]
    assert count(db, Order) == 0


def test_validation_errors_name_every_field_and_nothing_is_written(db, client, store):
    body = order_body([{"sku": store.a.code, "qty": 0}, {"qty": 1}, {"sku": "NOPE", "qty": "2"}, 7],
                      buyer=buyer(region="China!", name="", email="not-mail", phone=12345))
    response = post(client, token_for(store.m), body)
    assert response.status_code == 422
    errors = errors_of(response)
    assert set(errors) == {"lines[0].qty", "lines[1].sku", "lines[2].sku", "lines[2].qty", "lines[3]",
                           "buyer.region", "buyer.name", "buyer.email", "buyer.phone"}
    assert errors["lines[0].qty"] == "0 is not a whole number above zero."
    assert errors["lines[2].sku"] == "SKU NOPE does not exist."
    assert "is not an ISO country" in errors["buyer.region"] and errors["buyer.name"] == "required."
    assert count(db, Order) == 0 and count(db, IdempotencyKey) == 0
    # the key was not used up by the refusal: the corrected order goes through
    assert post(client, token_for(store.m), order_body([{"sku": store.a.code, "qty": 1}])).status_code == 201


def test_a_service_refusal_names_the_line(db, client, store):
    store.b.product.shelf_status = "off"
    db.session.flush()
    response = post(client, token_for(store.m), order_body([{"sku": store.a.code, "qty": 1},
                                                            {"sku_id": store.b.id, "qty": 1}]))
    assert response.status_code == 422
    assert errors_of(response) == {"lines[1].sku_id": f"SKU {store.b.code} is not on sale (off the shelf or inactive)."}


def test_a_merchant_token_cannot_order_another_merchants_sku(db, client, store):
    response = post(client, token_for(store.m), order_body([{"sku": store.x.code, "qty": 1},
                                                            {"sku_id": store.x.id, "qty": 1}]))
    assert response.status_code == 422
    assert errors_of(response) == {"lines[0].sku": f"SKU {store.x.code} does not exist.",
                                   "lines[1].sku_id": f"SKU {store.x.id} does not exist."}
    assert count(db, Order) == 0 and figures(db, store.x, store.far) == (10, 0)


def test_a_platform_token_orders_from_several_merchants_by_merchant_and_code(db, client, store):
    plain = token_for(None)
    response = post(client, plain, order_body([{"sku": store.a.code, "qty": 1}]))
    assert response.status_code == 422 and "MERCHANT/CODE" in errors_of(response)["lines[0].sku"]
    response = post(client, plain, order_body([{"sku": f"{store.m.code}/{store.a.code}", "qty": 1},
                                               {"sku": f"{store.other.code}/{store.x.code}", "qty": 2}]), key="k2")
    assert response.status_code == 201, response.get_json()
    assert [(o["merchant"], o["total"]) for o in response.get_json()["orders"]] == [
        (store.m.code, "10.00"), (store.other.code, "51.00")]


def test_out_of_stock_is_409_naming_the_line_and_nothing_is_reserved(db, client, store):
    response = post(client, token_for(store.m), order_body([{"sku": store.b.code, "qty": 1},
                                                            {"sku": store.a.code, "qty": 11}]))
    assert response.status_code == 409
    assert "11 units wanted, 10 available" in response.get_json()["error"]
    assert list(errors_of(response)) == ["lines[1].qty"]
    assert count(db, Order) == 0 and figures(db, store.a, store.sh) == (10, 0) and figures(db, store.b, store.sh) == (5, 0)


@pytest.mark.parametrize("kwargs, message", [
    ({"data": "{not json", "content_type": "application/json"}, "not valid JSON"),
    ({"data": "channel=shop", "content_type": "application/x-www-form-urlencoded"}, "Content-Type: application/json"),
])
def test_a_body_that_is_not_json_is_400(db, client, store, kwargs, message):
    response = client.post(URL, headers={"Authorization": f"Bearer {token_for(store.m)}", "Idempotency-Key": "k"},
                           **kwargs)
    assert response.status_code == 400 and message in response.get_json()["error"]


def test_without_write_access_or_token_nothing_is_placed(db, client, store):
    body = order_body([{"sku": store.a.code, "qty": 1}])
    assert post(client, token_for(store.m, "read"), body).status_code == 403
    assert client.post(URL, json=body, headers={"Idempotency-Key": "k"}).status_code == 401
    assert count(db, Order) == 0


# -- reading ------------------------------------------------------------------------------

def test_get_shows_the_tokens_own_orders_only(db, client, store):
    mine = place_one(store)
    theirs = place_one(store, lines=[(store.x.id, 1)])
    auth = {"Authorization": f"Bearer {token_for(store.m, 'read')}"}
    response = client.get(f"{URL}/{mine.number}", headers=auth)
    assert response.status_code == 200
    assert (response.get_json()["number"], response.get_json()["total"]) == (mine.number, "20.00")
    refused = client.get(f"{URL}/{theirs.number}", headers=auth)
    assert refused.status_code == 404 and refused.get_json()["error"] == f"Order {theirs.number} does not exist."
    platform = {"Authorization": f"Bearer {token_for(None, 'read')}"}
    assert client.get(f"{URL}/{theirs.number}", headers=platform).status_code == 200


# -- payment notifications ------------------------------------------------------------------

def notify(client, payload, secret=SECRET, signature=None):
    _db.session.commit()
    raw = json.dumps(payload).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"X-Portal-Signature": signature} if signature else {}
    return client.post(NOTIFY, data=raw, content_type="application/json", headers=headers)


@pytest.fixture()
def secret(db):
    settings.set_value("orders.payment_webhook_secret", SECRET)


def payload(order, amount="20.00", ref="ALI-1", **changes):
    return {"order": order.number, "method": "alipay", "amount": amount, "currency": "CNY", "provider_ref": ref,
            **changes}


def test_a_signed_notification_records_the_payment_once(db, client, store, secret):
    order = place_one(store)
    first = notify(client, payload(order))
    again = notify(client, payload(order))
    assert first.status_code == again.status_code == 200, first.get_json()
    assert first.get_json()["order"] == {"number": order.number, "state": "pending_shipment", "total": "20.00",
                                         "paid": "20.00"}
    assert again.get_json()["payment"] == first.get_json()["payment"]
    assert count(db, Payment) == 1 and state_of(db, order) == "pending_shipment"


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "md5=abc"])
def test_a_bad_or_missing_signature_is_401_and_nothing_recorded(db, client, store, secret, signature):
    order = place_one(store)
    response = notify(client, payload(order), signature=signature)
    assert response.status_code == 401 and "signature" in response.get_json()["error"]
    assert notify(client, payload(order), secret="another-secret-of-length").status_code == 401
    assert count(db, Payment) == 0 and state_of(db, order) == "pending_payment"


def test_without_a_secret_notifications_are_refused(db, client, store):
    order = place_one(store)
    response = notify(client, payload(order), secret="")
    assert response.status_code == 503 and "not configured" in response.get_json()["error"]
    assert count(db, Payment) == 0


def test_the_notification_secret_stays_out_of_the_audit_trail(db, store, secret):
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "setting.change",
                                                    AuditLog.target == "orders.payment_webhook_secret")).scalar_one()
    assert SECRET not in row.summary and "changed" in row.summary


def test_a_short_secret_is_refused_by_the_setting(db):
    with pytest.raises(settings.InvalidSetting, match="at least 16 characters"):
        settings.set_value("orders.payment_webhook_secret", "short")


@pytest.mark.parametrize("change, status, message", [
    ({"currency": "USD"}, 422, "a payment in USD cannot be recorded"),
    ({"amount": "20.01"}, 422, "more than the 20.00 CNY still owed"),
    ({"amount": 20.0}, 422, "the amount as a string"),
    ({"order": "O-NONE"}, 404, "Order O-NONE does not exist."),
])
def test_a_notification_that_cannot_be_recorded_says_why(db, client, store, secret, change, status, message):
    order = place_one(store)
    response = notify(client, {**payload(order), **change})
    assert response.status_code == status and message in json.dumps(response.get_json())
    assert count(db, Payment) == 0


def test_a_notification_for_a_cancelled_order_is_409(db, client, store, secret):
    from plugins.orders.services import cancel
    order = place_one(store)
    cancel(None, order, "Changed my mind")
    response = notify(client, payload(order))
    assert response.status_code == 409 and "is not waiting for payment" in response.get_json()["error"]
    assert count(db, Payment) == 0 and Decimal(0) == sum(
        db.session.execute(select(Payment.amount)).scalars(), Decimal(0))
