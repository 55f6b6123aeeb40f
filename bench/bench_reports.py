"""Reports at scale: rollups holding the figures of about 1,000,000 orders
over two years (20 merchants, 8 regions, 3 channels, 2,000 products, 4
carriers), seeded in bulk straight into the rollup tables, then p50/p95 of
every analysis page, a merchant x month pivot and the cockpit (the whole
request through the Flask test client, rendering included), as the platform
and as one merchant. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_reports.py [--orders 1000000] [--requests 50]
        [--database sqlite|postgresql|both]

The rollups are seeded, not rebuilt from a million placed orders: the
figures measure what the pages cost over rollups of that size.
PostgreSQL: PORTAL_BENCH_DATABASE_URL, else portal_bench on the local server.
"""
import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import insert, select  # noqa: E402

from plugins.catalog.models import Brand, Category, Product  # noqa: E402
from plugins.reports.models import ProductDay, SalesDay, ShipmentDay  # noqa: E402
from portal_setup import build_portal  # noqa: E402
from portal import access  # noqa: E402
from portal.auth import services  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Merchant  # noqa: E402

PASSWORD = "bench-password-2026"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench"
REGIONS = ["CN-GD", "CN-BJ", "CN-SH", "CN-ZJ", "CN-JS", "CN-SC", "CN-HB", "CN-FJ"]
CHANNELS = ["portal", "api", "mini"]
CARRIERS = ["SF Express", "YTO", "ZTO", "JD Logistics"]
END = date(2026, 11, 26)
DAYS = 730


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--merchants", type=int, default=20)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--database", default="sqlite", choices=("sqlite", "postgresql", "both"))
    return parser.parse_args()


def _chunks(rows, model, size=20000):
    for i in range(0, len(rows), size):
        db.session.execute(insert(model), rows[i:i + size])


def seed(app, args):
    rng = random.Random(11)
    started = time.perf_counter()
    with app.app_context():
        services.create_user("bench-admin@example.test", PASSWORD, [services.role_by_name(access.PLATFORM_ADMIN)])
        db.session.execute(insert(Merchant), [
            {"code": f"R{i:03d}", "name": f"Bench {i}", "legal_name": f"Bench {i} Ltd", "country": "CN",
             "default_currency": "CNY", "status": "active"} for i in range(args.merchants)])
        merchants = list(db.session.execute(select(Merchant.id).order_by(Merchant.id)).scalars())
        services.create_user("bench-merchant@example.test", PASSWORD,
                             [services.role_by_name(access.MERCHANT_ADMIN)], db.session.get(Merchant, merchants[0]))
        db.session.execute(insert(Category), [{"name_en": f"Category {i}"} for i in range(30)])
        db.session.execute(insert(Brand), [{"name_en": f"Brand {i}"} for i in range(50)])
        categories = list(db.session.execute(select(Category.id)).scalars())
        brands = list(db.session.execute(select(Brand.id)).scalars())
        db.session.execute(insert(Product), [
            {"merchant_id": merchants[i % len(merchants)], "category_id": rng.choice(categories),
             "brand_id": rng.choice(brands), "title_en": f"Product {i}"} for i in range(args.products)])
        products = list(db.session.execute(select(Product.id, Product.merchant_id, Product.category_id,
                                                  Product.brand_id)).all())
        cells = DAYS * len(merchants) * len(REGIONS) * len(CHANNELS)
        per_cell = args.orders / cells
        sales, product_rows, shipping = [], [], []
        for d in range(DAYS):
            day = END - timedelta(days=d)
            for m in merchants:
                for region in REGIONS:
                    for channel in CHANNELS:
                        orders = max(0, round(rng.gauss(per_cell, per_cell / 3)))
                        amount = Decimal(orders * rng.randint(50, 400))
                        sales.append({"day": day, "merchant_id": m, "region": region, "channel": channel,
                                      "currency": "CNY", "placed_orders": orders, "placed_amount": amount,
                                      "paid_orders": orders, "paid_amount": amount, "cancelled_orders": 0,
                                      "cancelled_amount": 0, "refund_amount": Decimal(0)})
                    for carrier in CARRIERS:
                        sent = rng.randint(0, 10)
                        shipping.append({"day": day, "merchant_id": m, "carrier": carrier, "region": region,
                                         "shipments": sent, "received_orders": sent,
                                         "delivery_seconds": sent * rng.randint(86400, 4 * 86400)})
            for pid, mid, cid, bid in rng.sample(products, min(len(products), 400)):
                units = rng.randint(1, 20)
                product_rows.append({"day": day, "product_id": pid, "currency": "CNY", "merchant_id": mid,
                                     "category_id": cid, "brand_id": bid, "units": units,
                                     "sales": Decimal(units * 99), "cancelled_units": 0, "cancelled_sales": 0})
        _chunks(sales, SalesDay)
        _chunks(product_rows, ProductDay)
        _chunks(shipping, ShipmentDay)
        db.session.commit()
        print(f"  seeded {len(sales):,} sales rows, {len(product_rows):,} product rows, "
              f"{len(shipping):,} shipping rows ({sum(r['placed_orders'] for r in sales):,} orders) "
              f"in {time.perf_counter() - started:.1f} s")


def timed(fn, requests, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def pct(times, q):
    return times[min(len(times) - 1, max(0, round(q / 100 * len(times)) - 1))]


def sign_in(app, email):
    client = app.test_client()
    if client.post("/login", data={"email": email, "password": PASSWORD}).status_code != 302:
        raise SystemExit(f"signing in as {email} failed")
    return client


PAGES = [
    ("cockpit (dashboard)", "/"),
    ("sales, this month by merchant", "/reports/sales/?period=month&date=2026-11-15"),
    ("sales, a year by product", "/reports/sales/?period=year&date=2026-05-01&dimension=product"),
    ("sales, a year by region", "/reports/sales/?period=year&date=2026-05-01&dimension=region"),
    ("products, this month", "/reports/products/?period=month&date=2026-11-15"),
    ("logistics, a year", "/reports/logistics/?period=year&date=2026-05-01"),
    ("pivot merchant x month, two years",
     "/reports/pivot/?period=range&start=2024-11-27&end=2026-11-26&rows=merchant&cols=month&measure=placed_amount"),
]


def run(url, args):
    with tempfile.TemporaryDirectory() as tmp:
        app = build_portal(url, tmp, PORTAL_TIMEZONE="Asia/Shanghai")
        seed(app, args)
        for who in ("bench-admin@example.test", "bench-merchant@example.test"):
            client = sign_in(app, who)
            print(f"  as {who}:")
            for name, path in PAGES:
                def get(path=path):
                    response = client.get(path)
                    if response.status_code != 200:
                        raise SystemExit(f"{path} answered {response.status_code}")
                times = timed(get, args.requests, args.warmup)
                print(f"    {name:<36} p50 {pct(times, 50):7.1f} ms   p95 {pct(times, 95):7.1f} ms")


def main():
    args = parse_args()
    targets = []
    if args.database in ("sqlite", "both"):
        targets.append(("SQLite", "sqlite:///" + os.path.join(tempfile.gettempdir(), "portal_bench_reports.db")))
    if args.database in ("postgresql", "both"):
        targets.append(("PostgreSQL", os.environ.get("PORTAL_BENCH_DATABASE_URL", PG_DEFAULT)))
    for name, url in targets:
        print(f"{name}: rollups of about {args.orders:,} orders over {DAYS} days")
        run(url, args)


if __name__ == "__main__":
    main()
