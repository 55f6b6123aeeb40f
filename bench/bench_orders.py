"""Orders at scale, on SQLite and PostgreSQL.

1. The order list and an order's page with 1,000,000 orders (two lines and a
   history row each, seeded in bulk): p50/p95 through the test client
   (rendered) beside hand-written SQL for the same rows.
2. Orders placed per second through the JSON API (idempotency key, pricing,
   stock reserved per warehouse), by 1 and 4 processes each posting as fast
   as answers come back (Flask's test client in each process: the whole API
   stack without a network).
3. An invoice: render time (p50, p95) and peak memory of the portal's PDF
   beside WeasyPrint rendering the same HTML alone.

Prints figures; asserts nothing.

    .venv/bin/python bench/bench_orders.py [--database sqlite|postgresql|both]
        [--orders 1000000] [--requests 100] [--seconds 5] [--skip-list] [--skip-api] [--skip-pdf]

PostgreSQL: PORTAL_BENCH_DATABASE_URL, else the database portal_bench on the
local server (created when missing). Every table in it is dropped first.
"""
import argparse
import io
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import timedelta
from decimal import Decimal

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import bench_catalog  # noqa: E402
from bench_catalog import pct, timed  # noqa: E402
from plugins.catalog.models import Sku  # noqa: E402
from plugins.inventory.models import Stock, StockLedger  # noqa: E402
from plugins.inventory.services import create_warehouse  # noqa: E402
from plugins.orders.models import Checkout, Order, OrderHistory, OrderLine  # noqa: E402
from portal import config  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Merchant, User, utcnow  # noqa: E402

STATES = ["closed"] * 60 + ["completed"] * 10 + ["pending_receipt"] * 10 + ["pending_shipment"] * 8 + \
    ["cancelled"] * 8 + ["pending_payment"] * 3 + ["after_sales"]
BUYERS = ["Li Wei", "Wang Fang", "Zhang Min", "Chen Jing", "Liu Yang", "Zhao Li", "Sun Qiang", "Zhou Ting"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="both", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="timed runs per page figure")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0, help="timed window of each API run")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-pdf", action="store_true")
    return parser.parse_args()


def seed_catalog(app):
    """20 merchants, 2,000 products and 8,000 SKUs (the catalog bench's seed),
    a platform warehouse shipping to China holding plenty of every SKU."""
    bench_catalog.seed(app, argparse.Namespace(products=2000, skus_per_product=4, merchants=20))
    with app.app_context():
        warehouse = create_warehouse(None, None, {"code": "BENCH", "name": "Bench", "regions": "CN", "priority": 1})
        db.session.commit()
        skus = db.session.execute(select(Sku.id, Sku.merchant_id)).all()
        db.session.execute(insert(Stock), [{"sku_id": s, "warehouse_id": warehouse.id, "merchant_id": m,
                                            "on_hand": 10**7, "locked": 0, "damaged": 0, "quality_hold": 0}
                                           for s, m in skus])
        db.session.execute(insert(StockLedger), [{"sku_id": s, "warehouse_id": warehouse.id, "merchant_id": m,
                                                  "state": "on_hand", "delta": 10**7, "reason": "receipt",
                                                  "document": "GRN-BENCH"} for s, m in skus])
        # every SKU on the shelf, so the API may sell it
        db.session.execute(text("UPDATE catalog_product SET shelf_status = 'on', review_status = 'approved'"))
        db.session.commit()


def seed_orders(app, count):
    """``count`` orders over the last year, each its own checkout with two
    lines and its placing in the history; bulk inserts, ids given."""
    started = time.perf_counter()
    rng = random.Random(5)
    with app.app_context():
        skus = db.session.execute(select(Sku.id, Sku.merchant_id, Sku.code, Sku.price)).all()
        by_merchant = {}
        for sku in skus:
            by_merchant.setdefault(sku.merchant_id, []).append(sku)
        merchants = sorted(by_merchant)
        now = utcnow()
        batch = {"checkouts": [], "orders": [], "lines": [], "history": []}
        # after the orders the API run placed
        first = max(db.session.execute(select(func.max(Order.id))).scalar() or 0,
                    db.session.execute(select(func.max(Checkout.id))).scalar() or 0) + 1
        for order_id in range(first, first + count):
            merchant = merchants[order_id % len(merchants)]
            age = timedelta(days=365) * (1 - (order_id - first) / count) + timedelta(seconds=rng.randint(0, 600))
            placed = now - age
            chosen = rng.sample(by_merchant[merchant], 2)
            lines = [(sku, rng.randint(1, 3)) for sku in chosen]
            subtotal = sum((sku.price * qty for sku, qty in lines), Decimal(0))
            number = f"O{placed:%Y%m%d}{order_id:06d}"
            batch["checkouts"].append({
                "id": order_id, "number": "C" + number[1:], "channel": "bench", "customer_ref": f"WEB-{order_id}",
                "buyer_name": rng.choice(BUYERS), "ship_country": "CN", "ship_region": "CN-GD",
                "ship_address": "1 Keji Road", "currency": "CNY", "subtotal": subtotal, "adjustments_total": 0,
                "total": subtotal, "placed_at": placed})
            batch["orders"].append({
                "id": order_id, "number": number, "checkout_id": order_id, "merchant_id": merchant,
                "state": rng.choice(STATES), "currency": "CNY", "subtotal": subtotal, "adjustments_total": 0,
                "total": subtotal, "placed_at": placed})
            for position, (sku, qty) in enumerate(lines):
                batch["lines"].append({
                    "order_id": order_id, "merchant_id": merchant, "position": position, "sku_id": sku.id,
                    "sku_code": sku.code, "title": sku.code, "qty": qty, "unit_price": sku.price,
                    "line_total": sku.price * qty})
            batch["history"].append({"order_id": order_id, "merchant_id": merchant, "to_state": "pending_payment",
                                     "created_at": placed})
            if (order_id - first + 1) % 20_000 == 0 or order_id == first + count - 1:
                for model, key in ((Checkout, "checkouts"), (Order, "orders"), (OrderLine, "lines"),
                                   (OrderHistory, "history")):
                    # Core inserts of the tables: many rows per statement, no ORM bookkeeping per row
                    db.session.execute(insert(model.__table__), batch[key])
                    batch[key].clear()
                db.session.commit()
        if db.engine.dialect.name == "postgresql":
            for table in ("orders_checkout", "orders_order"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return time.perf_counter() - started


ORDER_COLUMNS = ("o.id, o.number, o.merchant_id, o.state, o.currency, o.total, o.placed_at, c.buyer_name, "
                 "c.customer_ref")


def list_cases(app):
    with app.app_context():
        middle = db.session.execute(select(Order.number).where(Order.id == db.session.execute(
            select(Order.id).order_by(Order.id.desc()).limit(1)).scalar() // 2)).scalar()
        merchant_id = db.session.execute(select(Merchant.id).order_by(Merchant.id)).scalars().first()
        order_id = db.session.execute(select(Order.id).where(Order.merchant_id == merchant_id)
                                      .order_by(Order.id.desc()).limit(1)).scalar()
    admin, merchant = "bench-admin@example.test", "bench-merchant@example.test"
    base = f"SELECT {ORDER_COLUMNS} FROM orders_order o JOIN orders_checkout c ON c.id = o.checkout_id"
    order = "ORDER BY o.placed_at DESC, o.id DESC LIMIT 51"
    return [
        ("list: first page, platform admin", "/orders/", admin, f"{base} {order}", {}),
        ("list: first page, merchant admin", "/orders/", merchant, f"{base} WHERE o.merchant_id = :m {order}",
         {"m": merchant_id}),
        ("list: one merchant, platform admin", f"/orders/?merchant={merchant_id}", admin,
         f"{base} WHERE o.merchant_id = :m {order}", {"m": merchant_id}),
        ("list: order number", f"/orders/?number={middle}", admin, f"{base} WHERE o.number = :n {order}",
         {"n": middle}),
        ("list: state pending payment", "/orders/?state=pending_payment", admin,
         f"{base} WHERE o.state = 'pending_payment' {order}", {}),
        ("detail: an order, merchant admin", f"/orders/{order_id}", merchant,
         [f"SELECT * FROM orders_order WHERE id = {order_id}",
          f"SELECT * FROM orders_checkout WHERE id = (SELECT checkout_id FROM orders_order WHERE id = {order_id})",
          f"SELECT * FROM orders_order_line WHERE order_id = {order_id} ORDER BY position, id",
          f"SELECT * FROM orders_adjustment WHERE order_id = {order_id}",
          f"SELECT * FROM orders_shipment WHERE order_id = {order_id}",
          f"SELECT * FROM orders_payment WHERE order_id = {order_id}",
          f"SELECT * FROM orders_history WHERE order_id = {order_id} ORDER BY id"], {}),
    ]


def measure_list(app, args):
    seconds = seed_orders(app, args.orders)
    with app.app_context():
        count = db.session.execute(text("SELECT count(*) FROM orders_order")).scalar()
    print(f"\n{count:,} orders seeded in {seconds:.0f}s. page: GET through the test client, rendered; "
          "raw: hand-written SQL for the same rows")
    clients = {email: bench_catalog.sign_in(app, email)
               for email in ("bench-admin@example.test", "bench-merchant@example.test")}
    print(f"{'orders':<40} {'page p50':>9} {'page p95':>9} {'raw p95':>8}")
    for label, path, email, sql, params in list_cases(app):
        page = timed(bench_catalog.page_fn(clients[email], path), args.requests, args.warmup)
        statements = sql if isinstance(sql, list) else [sql]

        def raw(statements=statements, params=params):
            with app.app_context():
                with db.engine.connect() as conn:
                    for statement in statements:
                        conn.execute(text(statement), params).all()
        raw_times = timed(raw, args.requests, args.warmup)
        print(f"{label:<40} {pct(page, 50):9.1f} {pct(page, 95):9.1f} {pct(raw_times, 95):8.1f}")


# -- the API --------------------------------------------------------------------------

def api_token(app):
    """A merchant's token with orders.order write, and that merchant's SKU codes."""
    from portal.tokens import create_token
    with app.app_context():
        merchant = db.session.execute(select(Merchant).order_by(Merchant.id)).scalars().first()
        admin = db.session.execute(select(User).where(User.email == "bench-admin@example.test")).scalar_one()
        created = create_token("bench", {"orders.order": "write"}, merchant.id, admin)
        db.session.commit()
        codes = db.session.execute(select(Sku.code).where(Sku.merchant_id == merchant.id)).scalars().all()
    return created[1], codes


def _poster(url, secret, codes, number, seconds, barrier, results):
    from portal import create_app
    options = {key: value for key, value in config._engine_options(url).items() if key != "pool_pre_ping"}
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                      "SECRET_KEY": "bench", "TESTING": True})
    client = app.test_client()
    rng = random.Random(number)
    placed = refused = 0
    problem = None
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    barrier.wait(timeout=300)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = {"channel": "bench", "customer_ref": f"P{number}-{placed}",
                "buyer": {"name": "Li Lei", "phone": "13800000000", "region": "CN-GD", "address": "1 Keji Road"},
                "lines": [{"sku": code, "qty": rng.randint(1, 3)} for code in rng.sample(codes, 2)]}
        response = client.post("/orders/api/v1/orders", data=json.dumps(body),
                               headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        if response.status_code == 201:
            placed += 1
        else:
            refused += 1
            problem = problem or f"{response.status_code} {response.get_data(as_text=True)[:200]}"
    results.put((placed, refused, problem))


def measure_api(app, url, args):
    secret, codes = api_token(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    print(f"\norders placed through the API (2 lines each, {args.seconds:.0f} s per run)")
    print(f"{'clients':>8} {'orders/s':>9} {'refused':>8}")
    ctx = multiprocessing.get_context("fork")
    for processes in (1, 4):
        barrier, results = ctx.Barrier(processes + 1), ctx.Queue()
        workers = [ctx.Process(target=_poster, args=(url, secret, codes, n, args.seconds, barrier, results))
                   for n in range(processes)]
        for worker in workers:
            worker.start()
        barrier.wait(timeout=300)
        started = time.perf_counter()
        outcomes = [results.get(timeout=600) for _ in workers]
        elapsed = time.perf_counter() - started
        for worker in workers:
            worker.join()
        placed, refused = sum(o[0] for o in outcomes), sum(o[1] for o in outcomes)
        print(f"{processes:>8} {placed / elapsed:>9.1f} {refused:>8}")
        for problem in {o[2] for o in outcomes if o[2]}:
            print(f"    ! {problem}")


# -- the invoice ----------------------------------------------------------------------

def measure_pdf(app, args):
    """The portal's invoice (data, template, fonts, safe fetcher) against
    WeasyPrint alone rendering the HTML the portal made, with the same fetcher."""
    from pypdf import PdfReader
    from weasyprint import HTML

    from plugins.orders import documents
    from plugins.orders.services import record_payment
    from portal import documents as core
    with app.test_request_context("/"):
        order = db.session.execute(select(Order).where(Order.state == "pending_payment")
                                   .order_by(Order.id.desc()).limit(1)).scalar_one_or_none()
        if order is None:
            print("\ninvoice: no unpaid order to pay and invoice; skipped")
            return
        record_payment(None, order, "bench", order.total, order.currency, provider_ref=f"BENCH-{order.id}")
        db.session.commit()
        today = utcnow().date()

        def portal():
            return documents._render(documents.INVOICE, order, "INV-BENCH-000001", today)
        html = core.render_html(documents.INVOICE.template, order=order, checkout=order.checkout,
                                merchant=order.merchant, number="INV-BENCH-000001", issued_on=today,
                                labels=documents.LABELS, money=documents.money)

        def bare():
            return HTML(string=html, base_url=core.BASE_URL, url_fetcher=core.make_fetcher()).write_pdf()
        portal_times, bare_times = timed(portal, 30, 3), timed(bare, 30, 3)
        peaks = []
        for fn in (portal, bare):
            tracemalloc.start()
            fn()
            peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
            tracemalloc.stop()
        pages = len(PdfReader(io.BytesIO(portal())).pages)
    print(f"\ninvoice PDF ({len(order.lines)} lines, {pages} page(s)): portal p50 {pct(portal_times, 50):.0f} ms, "
          f"p95 {pct(portal_times, 95):.0f} ms, peak Python memory {peaks[0]:.1f} MB; WeasyPrint alone p50 "
          f"{pct(bare_times, 50):.0f} ms, p95 {pct(bare_times, 95):.0f} ms, {peaks[1]:.1f} MB; portal / bare "
          f"p50 {pct(portal_times, 50) / pct(bare_times, 50):.2f}, memory {peaks[0] / peaks[1]:.2f}")


def main():
    args = parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"times in ms")
    for target in [t for t in ("sqlite", "postgresql") if args.database in (t, "both")]:
        with tempfile.TemporaryDirectory() as tmp:
            url = "sqlite:///" + os.path.join(tmp, "bench.db") if target == "sqlite" else bench_catalog.postgres_url()
            print(f"\n=== {make_url(url).get_backend_name()}")
            app = bench_catalog.build_portal(url, tmp)
            seed_catalog(app)
            if not args.skip_api:
                measure_api(app, url, args)
            if not args.skip_list:
                measure_list(app, args)
            if not args.skip_pdf:
                measure_pdf(app, args)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


if __name__ == "__main__":
    main()
