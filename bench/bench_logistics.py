"""Logistics at scale, on SQLite and PostgreSQL.

1. Freight for a 20-line order whose lines fall under 3 templates (a store
   template and two category templates, 5 zones each, one of them per city)
   shipped to a city: p50/p95 of the orders' pricing hook (``price_draft``:
   SKU and template look-ups included), and the queries one call makes.
2. The shipment list with 1,000,000 shipped shipments (each with its order,
   tracking row and a carrier), seeded in bulk with Core inserts: p50/p95 of
   the page through the test client (rendered) for the first page, a carrier
   filter, a status filter, the late filter, a later page, and each sort.

Prints figures; asserts nothing. ``--database both`` runs SQLite, then
PostgreSQL (``PORTAL_BENCH_DATABASE_URL``, or portal_bench on the local server).

    .venv/bin/python bench/bench_logistics.py [--database sqlite|postgresql|both] [--shipments 1000000]
        [--requests 100]
"""
import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import event, insert, text  # noqa: E402

from bench_catalog import PASSWORD, build_portal, pct, postgres_url, sign_in, timed  # noqa: E402
from plugins.catalog.models import Category, Product, Sku  # noqa: E402
from plugins.inventory.services import create_warehouse  # noqa: E402
from plugins.logistics.models import Carrier, FreightTemplate, FreightZone, Tracking  # noqa: E402
from plugins.logistics.services.charging import price_draft  # noqa: E402
from plugins.orders.models import Checkout, Order, Shipment  # noqa: E402
from plugins.orders.services.pricing import Draft, DraftLine  # noqa: E402
from portal.auth import services  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Merchant, utcnow  # noqa: E402

CHUNK = 20_000
STATUSES = ["delivered"] * 80 + ["in_transit"] * 12 + ["out_for_delivery"] * 4 + ["accepted"] * 3 + ["exception"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    return parser.parse_args()


def zones():
    return [FreightZone(position=0, regions="CN-SH CN-JS CN-ZJ", first_units=1, first_fee=6, additional_units=1,
                        additional_fee=2, free_over_amount=Decimal(500)),
            FreightZone(position=4, regions="440100 440300", first_units=1, first_fee=5, additional_units=1,
                        additional_fee=2),
            FreightZone(position=1, regions="CN", first_units=1, first_fee=10, additional_units=1, additional_fee=4),
            FreightZone(position=2, regions="CN-XZ CN-XJ", no_delivery=True),
            FreightZone(position=3, regions="*", first_units=1, first_fee=40, additional_units=1, additional_fee=20)]


def seed_catalog(merchant):
    """20 SKUs in three categories, each category but the first with its own template."""
    categories = [Category(name_en=f"Bench {n}") for n in range(3)]
    db.session.add_all(categories)
    db.session.flush()
    for c in categories:
        c.path = f"/{c.id}/"
    skus = []
    for n in range(20):
        product = Product(merchant_id=merchant.id, category_id=categories[n % 3].id, title_en=f"Bench {n}",
                          shelf_status="on")
        skus.append(Sku(product=product, merchant_id=merchant.id, code=f"BENCH{n:03d}", price=Decimal("19.90"),
                        currency="CNY", weight_g=300 + n * 40, length_mm=100, width_mm=80, height_mm=60))
    db.session.add_all(skus)
    db.session.add(FreightTemplate(merchant_id=merchant.id, name="Store", basis="count", zones=zones()))
    db.session.add(FreightTemplate(merchant_id=merchant.id, category_id=categories[1].id, name="Heavy",
                                   basis="weight", zones=zones()))
    db.session.add(FreightTemplate(merchant_id=merchant.id, category_id=categories[2].id, name="Bulky",
                                   basis="volume", zones=zones()))
    db.session.commit()
    return skus


def measure_freight(app, merchant, skus, requests):
    lines = tuple(DraftLine(i, s.id, s.code, "Bench", 1 + i % 3, s.price, "CNY") for i, s in enumerate(skus))
    draft = Draft(merchant.id, "CNY", lines, "CN-GD", "bench", city_code="440300")
    queries = []

    def count(_conn, _cursor, statement, *_args):
        queries.append(statement)

    def run():
        with app.test_request_context("/"):
            assert len(price_draft(draft)) == 3
    event.listen(db.engine, "before_cursor_execute", count)
    run()
    event.remove(db.engine, "before_cursor_execute", count)
    if os.environ.get("BENCH_SHOW_QUERIES"):
        print("\n\n".join(queries))
    times = timed(run, requests, 5)
    print(f"freight, 20 lines, 3 templates, to a city: p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms "
          f"({len(queries)} queries a call)")


def seed_shipments(merchant, count):
    """``count`` shipped shipments, one per order, with tracking rows; orders share checkouts."""
    rng = random.Random(3)
    warehouse = create_warehouse(None, merchant.id, {"code": "BENCHWH", "name": "Bench", "regions": ("CN",),
                                                     "priority": 1, "address": "1 Bench Road"})
    carriers = [Carrier(code=c, name=c) for c in ("SF", "ZTO", "JD")]
    db.session.add_all(carriers)
    db.session.commit()
    now = utcnow()
    started = time.perf_counter()
    for start in range(0, count, CHUNK):
        ids = range(start + 1, min(count, start + CHUNK) + 1)
        checkout_id = start // CHUNK + 1
        at = [now - timedelta(minutes=(count - i) // 2) for i in ids]
        db.session.execute(insert(Checkout), [{
            "id": checkout_id, "number": f"CB{checkout_id:09d}", "channel": "bench", "buyer_name": "Bench",
            "ship_country": "CN", "ship_region": "CN-GD", "ship_address": "1 Road", "currency": "CNY",
            "subtotal": 0, "adjustments_total": 0, "total": 0, "placed_at": now}])
        db.session.execute(insert(Order), [{
            "id": i, "number": f"OB{i:09d}", "checkout_id": checkout_id, "merchant_id": merchant.id,
            "state": "pending_receipt", "currency": "CNY", "subtotal": 10, "adjustments_total": 0, "total": 10,
            "placed_at": a, "shipped_at": a} for i, a in zip(ids, at)])
        db.session.execute(insert(Shipment), [{
            "id": i, "order_id": i, "merchant_id": merchant.id, "warehouse_id": warehouse.id, "status": "shipped",
            "carrier": "SF", "tracking_number": f"SF{i:012d}", "shipped_at": a, "created_at": a}
            for i, a in zip(ids, at)])
        db.session.execute(insert(Tracking), [{
            "shipment_id": i, "merchant_id": merchant.id, "carrier_id": carriers[i % 3].id,
            "status": rng.choice(STATUSES), "last_event_at": a + timedelta(hours=rng.randint(1, 72))}
            for i, a in zip(ids, at)])
        db.session.commit()
    print(f"seeded {count:,} shipments in {time.perf_counter() - started:.0f} s")
    return carriers


def measure_list(app, carriers, requests):
    client = sign_in(app, "bench-admin@example.test")
    for label, path in (("first page", "/logistics/shipments/"),
                        ("carrier filter", f"/logistics/shipments/?carrier={carriers[1].id}"),
                        ("status exception", "/logistics/shipments/?status=exception"),
                        ("late", "/logistics/shipments/?late=1"),
                        ("page 50", "/logistics/shipments/?page=50"),
                        ("status delivered", "/logistics/shipments/?status=delivered"),
                        ("sorted by tracking number", "/logistics/shipments/?sort=number"),
                        ("sorted by order, descending", "/logistics/shipments/?sort=-order"),
                        ("sorted by ship time, newest", "/logistics/shipments/?sort=-shipped"),
                        ("sorted by last update, newest", "/logistics/shipments/?sort=-updated"),
                        ("sorted by status", "/logistics/shipments/?sort=status"),
                        ("in transit, by last update", "/logistics/shipments/?status=in_transit&sort=updated"),
                        ("sorted by ship time, page 50", "/logistics/shipments/?sort=-shipped&page=50"),
                        # a filter and a sort no single index serves: the matching rows are sorted
                        ("carrier filter, by tracking number", f"/logistics/shipments/?carrier={carriers[1].id}"
                                                               "&sort=number")):
        def get(path=path):
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        times = timed(get, requests, 3)
        print(f"shipment list, {label}: p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms")


def run(database, args):
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db" if database == "sqlite" else postgres_url()
        app = build_portal(url, tmp)
        with app.app_context():
            merchant = Merchant(code="BENCH", name="Bench", legal_name="Bench Ltd", status="active", country="CN",
                                default_currency="CNY")
            db.session.add(merchant)
            services.create_user("bench-admin@example.test", PASSWORD, [services.role_by_name("platform_admin")])
            db.session.commit()
            print(f"database: {database}")
            skus = seed_catalog(merchant)
            measure_freight(app, merchant, skus, args.requests * 5)
            carriers = seed_shipments(merchant, args.shipments)
            if database == "postgresql":
                db.session.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would have them
                db.session.commit()
            measure_list(app, carriers, args.requests)
            db.session.remove()
            db.engine.dispose()


def main():
    args = parse_args()
    for database in (("sqlite", "postgresql") if args.database == "both" else (args.database,)):
        run(database, args)


if __name__ == "__main__":
    main()
