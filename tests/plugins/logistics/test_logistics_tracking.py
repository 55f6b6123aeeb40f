"""Carriers and tracking through the services and the webhook: tracking
numbers checked against the carrier's pattern when a shipment ships,
events recorded, "delivered" completing the order, the webhook's signature
and idempotency."""
import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from plugins.logistics.models import Tracking, TrackingEvent
from plugins.logistics.services.carriers import create_carrier
from plugins.logistics.services.errors import InvalidValue
from plugins.logistics.services.tracking import add_event
from plugins.orders.models import COMPLETED, PENDING_RECEIPT, PENDING_SHIPMENT
from plugins.orders.services import place, ship
from portal import settings
from portal.events import EventRejected
from tests.plugins.orders.helpers import buyer, pay_in_full

SECRET = "a-shared-secret-of-some-length"


@pytest.fixture()
def sf(db):
    return create_carrier(None, {"code": "SF", "name": "SF Express", "tracking_pattern": r"SF[0-9]{12}",
                                 "tracking_url": "https://sf.example/track/{number}", "active": "1"})


def paid_order(shop):
    order = place(None, "portal", buyer("CN-GD"), [(shop.tea.id, 1)]).orders[0]
    pay_in_full(order)
    assert order.state == PENDING_SHIPMENT
    return order


def shipped(shop, carrier="SF", number="SF123456789012"):
    order = paid_order(shop)
    ship(None, order, carrier, number)
    return order, order.shipments[0]


def test_a_tracking_number_its_carrier_cannot_have_is_refused_and_nothing_ships(db, shop, sf):
    order = paid_order(shop)
    with pytest.raises(EventRejected) as refused:
        ship(None, order, "sf express", "12345")
    assert "12345" in str(refused.value) and "SF Express" in str(refused.value)
    db.session.refresh(order)
    assert order.state == PENDING_SHIPMENT


def test_a_valid_number_ships_and_links_the_shipment_to_the_carrier(db, shop, sf):
    order, shipment = shipped(shop)
    assert order.state == PENDING_RECEIPT
    tracking = db.session.execute(select(Tracking).where(Tracking.shipment_id == shipment.id)).scalar_one()
    assert tracking.carrier_id == sf.id and tracking.status == "accepted"


def test_a_carrier_outside_the_list_ships_unlinked(db, shop, sf):
    _order, shipment = shipped(shop, carrier="Local courier", number="ANY-1")
    assert db.session.execute(select(Tracking.carrier_id).where(Tracking.shipment_id == shipment.id)).scalar() is None


def test_delivered_completes_the_order_through_its_lifecycle(db, shop, sf):
    order, shipment = shipped(shop)
    add_event(None, shipment, {"status": "in_transit", "occurred_at": "2026-05-01 10:00"}, "staff")
    assert order.state == PENDING_RECEIPT
    add_event(None, shipment, {"status": "delivered", "occurred_at": "2026-05-02T09:00:00+08:00"}, "staff")
    db.session.refresh(order)
    assert order.state == COMPLETED
    assert order.history[-1].to_state == COMPLETED and "SF123456789012" in order.history[-1].note
    tracking = db.session.execute(select(Tracking).where(Tracking.shipment_id == shipment.id)).scalar_one()
    assert tracking.status == "delivered" and tracking.delivered_at.hour == 1  # stored in UTC


def test_a_bad_status_or_time_names_the_field(db, shop, sf):
    _order, shipment = shipped(shop)
    with pytest.raises(InvalidValue) as bad:
        add_event(None, shipment, {"status": "lost in space", "occurred_at": "2026-05-01 10:00"}, "staff")
    assert bad.value.field == "status"
    with pytest.raises(InvalidValue) as bad:
        add_event(None, shipment, {"status": "in_transit", "occurred_at": "yesterday"}, "staff")
    assert bad.value.field == "time"


def push(client, body, secret=SECRET):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/logistics/api/v1/tracking", data=raw, content_type="application/json",
                       headers={"X-Portal-Signature": signature})


def test_the_webhook_refuses_a_bad_signature_and_when_no_secret_is_set(db, shop, sf, client):
    _order, shipment = shipped(shop)
    body = {"carrier": "SF", "tracking_number": shipment.tracking_number,
            "events": [{"id": "e1", "status": "in_transit", "time": "2026-05-01T10:00:00Z"}]}
    assert push(client, body).status_code == 503
    settings.set_value("logistics.webhook_secret", SECRET)
    db.session.commit()  # the endpoint rolls back what it refuses
    assert push(client, body, secret="another-secret-entirely").status_code == 401
    assert db.session.execute(select(func.count(TrackingEvent.id))).scalar() == 0


def test_the_webhook_records_each_event_once_and_completes_on_delivery(db, shop, sf, client):
    order, shipment = shipped(shop)
    settings.set_value("logistics.webhook_secret", SECRET)
    db.session.commit()  # the endpoint rolls back what it refuses
    body = {"carrier": "SF", "tracking_number": shipment.tracking_number,
            "events": [{"id": "e1", "status": "in_transit", "time": "2026-05-01T10:00:00Z", "location": "Shenzhen"},
                       {"id": "e2", "status": "delivered", "time": "2026-05-02T10:00:00Z"}]}
    first = push(client, body)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.json["recorded"] == 2
    again = push(client, body)
    assert again.status_code == 200 and again.json == {**first.json, "recorded": 0, "already_recorded": 2}
    assert db.session.execute(select(func.count(TrackingEvent.id))).scalar() == 2
    db.session.refresh(order)
    assert order.state == COMPLETED


def test_the_webhook_names_an_unknown_tracking_number_and_a_bad_event(db, shop, sf, client):
    _order, shipment = shipped(shop)
    settings.set_value("logistics.webhook_secret", SECRET)
    db.session.commit()  # the endpoint rolls back what it refuses
    unknown = push(client, {"tracking_number": "SF000000000000", "events": [{"id": "1", "status": "delivered",
                                                                           "time": "2026-05-01T10:00:00Z"}]})
    assert unknown.status_code == 404 and unknown.json["errors"][0]["field"] == "tracking_number"
    bad = push(client, {"tracking_number": shipment.tracking_number,
                        "events": [{"id": "1", "status": "gone", "time": "2026-05-01T10:00:00Z"}]})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "events[0].status"
