"""The rollups kept by events equal the rollups rebuilt from the orders, on a
scripted day of orders and on random sequences; and the figures they hold are
the ones a person would count."""
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from plugins.orders.services import after_sales, cancel, place, receive, ship
from plugins.reports.models import ProductDay, SalesDay, ShipmentDay
from plugins.reports.services.rebuild import rebuild
from portal.models import AuditLog
from tests.plugins.orders.helpers import buyer, pay_in_full
from tests.plugins.reports.conftest import rollup_rows

# 15:30 UTC is 23:30 in Shanghai: an hour later it is the next local day
EVENING = datetime(2026, 3, 10, 15, 30)


def _place(shop, lines, now, region="CN-GD", channel="portal"):
    return place(None, channel, buyer(region), lines, "C-1", now=now).orders[0]


def _refund_case(order, amount, now):
    case = after_sales.open_case(None, order, "refund_only", "damaged", "", [], amount, now=now)
    after_sales.approve(None, case, now=now)
    after_sales.refund(None, case, now=now)


def _script(shop):
    """Orders placed, paid, cancelled, shipped, received and refunded across local midnight."""
    first = _place(shop, [(shop.a.id, 2), (shop.b.id, 1)], EVENING)
    pay_in_full(first, now=EVENING + timedelta(minutes=40))  # paid the next local day
    ship(None, first, "SF Express", "SF0001", now=EVENING + timedelta(hours=20))
    receive(None, first, now=EVENING + timedelta(days=2, hours=3))
    _refund_case(first, "5.00", EVENING + timedelta(days=3))
    unpaid = _place(shop, [(shop.b.id, 3)], EVENING + timedelta(hours=1), region="CN-BJ")
    cancel(None, unpaid, "changed mind", now=EVENING + timedelta(hours=2))
    paid = _place(shop, [(shop.x.id, 1)], EVENING + timedelta(hours=1), channel="api")
    pay_in_full(paid, now=EVENING + timedelta(hours=2))
    cancel(None, paid, "out of time", now=EVENING + timedelta(days=1, hours=1))
    return first, unpaid, paid


def test_event_rollups_equal_the_rebuilt_ones(db, shop):
    _script(shop)
    kept = rollup_rows(db)
    assert kept["reports_sales_day"], "the events wrote nothing"
    rebuild()
    assert rollup_rows(db) == kept


def test_a_day_in_figures(db, shop):
    first, unpaid, paid = _script(shop)
    day = date(2026, 3, 10)
    placed = db.session.execute(select(func.sum(SalesDay.placed_orders), func.sum(SalesDay.placed_amount))
                                .where(SalesDay.day == day)).one()
    assert placed == (1, Decimal("24.5000"))  # only the first order was placed before local midnight
    next_day = db.session.execute(select(SalesDay.merchant_id, SalesDay.region, SalesDay.channel,
                                         SalesDay.placed_orders, SalesDay.paid_orders, SalesDay.cancelled_orders,
                                         SalesDay.refund_amount)
                                  .where(SalesDay.day == day + timedelta(days=1))
                                  .order_by(SalesDay.merchant_id, SalesDay.region)).all()
    assert next_day == [
        (shop.m.id, "CN-BJ", "portal", 1, 0, 1, Decimal("0")),
        (shop.m.id, "CN-GD", "portal", 0, 1, 0, Decimal("0")),
        (shop.other.id, "CN-GD", "api", 1, 1, 0, Decimal("0")),
    ]
    refunds = db.session.execute(select(SalesDay.day, SalesDay.refund_amount).where(SalesDay.refund_amount > 0)
                                 .order_by(SalesDay.day)).all()
    assert refunds == [(date(2026, 3, 12), Decimal("25.5000")), (date(2026, 3, 13), Decimal("5.0000"))]
    cups = db.session.execute(select(ProductDay.day, ProductDay.units, ProductDay.cancelled_units).where(
        ProductDay.product_id == shop.b.product_id).order_by(ProductDay.day)).all()
    assert cups == [(day, 1, 0), (day + timedelta(days=1), 3, 3)]
    shipping = db.session.execute(select(ShipmentDay.day, ShipmentDay.carrier, ShipmentDay.shipments,
                                         ShipmentDay.received_orders, ShipmentDay.delivery_seconds)
                                  .order_by(ShipmentDay.day)).all()
    assert shipping == [(day + timedelta(days=1), "SF Express", 1, 0, 0),
                        (day + timedelta(days=3), "SF Express", 0, 1, 31 * 3600)]


def test_rebuild_starts_from_nothing_and_is_audited(db, shop):
    _script(shop)
    kept = rollup_rows(db)
    for model in (SalesDay, ProductDay, ShipmentDay):
        db.session.execute(delete(model))
    counts = rebuild()
    assert rollup_rows(db) == kept
    assert counts["reports_sales_day"] == len(kept["reports_sales_day"])
    assert db.session.execute(select(AuditLog.action).where(AuditLog.plugin == "reports")).scalars().all() \
        == ["reports.rebuild"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sequences_keep_rollups_equal_to_a_rebuild(db, shop, seed):
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 10, 0)
    for i in range(14):
        now = start + timedelta(hours=rng.randint(0, 24 * 20), minutes=rng.randint(0, 59))
        skus = rng.sample([shop.a, shop.b], rng.randint(1, 2)) if rng.random() < 0.7 else [shop.x]
        order = _place(shop, [(s.id, rng.randint(1, 3)) for s in skus], now,
                       region=rng.choice(["CN-GD", "CN-BJ", "CN-SH"]), channel=rng.choice(["portal", "api"]))
        fate = rng.choice(["unpaid", "cancel", "paid", "paid_cancel", "shipped", "received", "refunded"])
        now += timedelta(hours=rng.randint(1, 30))
        if fate == "cancel":
            cancel(None, order, "changed mind", now=now)
        if fate in ("paid", "paid_cancel", "shipped", "received", "refunded"):
            pay_in_full(order, now=now, ref=f"P{seed}-{i}")
        if fate == "paid_cancel":
            cancel(None, order, "late", now=now + timedelta(hours=3))
        if fate in ("shipped", "received", "refunded"):
            ship(None, order, rng.choice(["SF Express", "YTO"]), f"T{seed}{i:04d}", now=now + timedelta(hours=5))
        if fate in ("received", "refunded"):
            receive(None, order, now=now + timedelta(days=2, seconds=rng.randint(0, 86400)))
        if fate == "refunded":
            _refund_case(order, "1.00", now + timedelta(days=3))
    kept = rollup_rows(db)
    rebuild()
    assert rollup_rows(db) == kept
