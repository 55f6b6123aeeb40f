"""Inventory under load, on SQLite and PostgreSQL.

1. Locks per second: processes (each its own app and connection, as gunicorn
   workers would be) reserve one unit at a time through ``services.lock``, for
   one hot SKU and for 10,000 spread SKUs, with 1, 4 and 16 processes; beside
   a bare loop of the same conditional UPDATE and ledger INSERT on the same
   database in the same run. After each run the stock is checked: locked
   equals the live reservations and nothing is oversold.
2. The last units: 16 processes race for 2,000 units of one SKU until refused;
   exactly 2,000 are taken.
3. The stock list at 400,000 stock rows (100,000 products, 4 SKUs each, spread
   over 4 warehouses): p50/p95 of the page through the test client, and the
   hand-written SQL for the same rows.

Prints figures; asserts nothing.

    .venv/bin/python bench/bench_inventory.py [--database sqlite|postgresql|both]
        [--seconds 4] [--processes 1,4,16] [--products 100000] [--requests 100]

PostgreSQL: PORTAL_BENCH_DATABASE_URL, else the database portal_bench on the
local server (created when missing). Every table in it is dropped first.
"""
import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import bench_catalog  # noqa: E402
from plugins.inventory import services as inv  # noqa: E402
from plugins.inventory.models import LIVE, SkuPolicy, Stock, StockLedger, StockLock  # noqa: E402
from portal import config  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Merchant  # noqa: E402

HOT_UNITS = 10**8  # never runs out within a timed window
LAST_UNITS = 2_000

BARE_UPDATE = text("UPDATE inventory_stock SET locked = locked + 1, updated_at = :now "
                   "WHERE sku_id = :sku AND warehouse_id = :wh "
                   "AND on_hand - locked - damaged - quality_hold >= 1")
BARE_LEDGER = text("INSERT INTO inventory_stock_ledger (sku_id, warehouse_id, merchant_id, state, delta, reason, "
                   "note, document, created_at) VALUES (:sku, :wh, :m, 'locked', 1, 'lock', '', :doc, :now)")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="both", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--seconds", type=float, default=4.0, help="timed window of each locks run")
    parser.add_argument("--processes", default="1,4,16")
    parser.add_argument("--spread-skus", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=100_000, help="for the stock list (4 SKUs each)")
    parser.add_argument("--requests", type=int, default=100, help="timed runs per list figure")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--skip-list", action="store_true", help="only the locks figures")
    parser.add_argument("--skip-locks", action="store_true", help="only the stock list figures")
    return parser.parse_args()


def make_app(url, tmp):
    return bench_catalog.build_portal(url, tmp)


def child_app(url):
    """A worker's own app and connection pool (nothing shared with the parent).
    No pre-ping on check-out: the service's session checks its connection out
    at every commit and the bare loop holds one, so a ping per lock would
    measure the pool, not the operation (a web request pings once)."""
    from portal import create_app
    options = {key: value for key, value in config._engine_options(url).items() if key != "pool_pre_ping"}
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                       "SECRET_KEY": "bench", "TESTING": True})


# -- locks ----------------------------------------------------------------------------

def seed_locks(app, spread):
    """One merchant, ``spread`` SKUs (plus a hot one and a last-units one) and a
    platform warehouse holding them, received through the ledger in bulk."""
    args = argparse.Namespace(products=(spread + 3) // 4 + 1, skus_per_product=4, merchants=1)
    with app.app_context():
        bench_catalog.seed(app, args)
        merchant_id = db.session.execute(select(Merchant.id)).scalar()
        warehouse = inv.create_warehouse(None, None, {"code": "BENCH", "name": "Bench", "regions": "CN", "priority": 1})
        db.session.commit()
        sku_ids = db.session.execute(text("SELECT id FROM catalog_sku ORDER BY id")).scalars().all()
        hot, last, spread_ids = sku_ids[0], sku_ids[1], sku_ids[2:2 + spread]
        stock, ledger = [], []
        for sku_id in sku_ids[:2 + spread]:
            units = HOT_UNITS if sku_id == hot else LAST_UNITS if sku_id == last else 10**6
            stock.append({"sku_id": sku_id, "warehouse_id": warehouse.id, "merchant_id": merchant_id,
                          "on_hand": units, "locked": 0, "damaged": 0, "quality_hold": 0})
            ledger.append({"sku_id": sku_id, "warehouse_id": warehouse.id, "merchant_id": merchant_id,
                           "state": "on_hand", "delta": units, "reason": "receipt", "document": "GRN-BENCH"})
        db.session.execute(insert(Stock), stock)
        db.session.execute(insert(StockLedger), ledger)
        db.session.commit()
        return {"warehouse": warehouse.id, "merchant": merchant_id, "hot": hot, "last": last, "spread": spread_ids}


def _locker(url, mode, skus, warehouse_id, merchant_id, number, seconds, barrier, results):
    """Take one unit at a time for ``seconds`` (or, ``seconds`` None, until
    refused); report (successes, refusals, error)."""
    app = child_app(url)
    rng = random.Random(number)
    taken = refused = 0
    problem = None
    with app.app_context():
        conn = db.engine.connect() if mode == "bare" else None
        db.session.execute(select(1)).all()
        db.session.commit()
        barrier.wait(timeout=300)
        deadline = time.monotonic() + seconds if seconds else None
        try:
            while deadline is None or time.monotonic() < deadline:
                sku = skus[0] if len(skus) == 1 else rng.choice(skus)
                ref = f"B{number}-{taken + refused}"
                if mode == "bare":
                    done = conn.execute(BARE_UPDATE, {"sku": sku, "wh": warehouse_id, "now": _utc()}).rowcount
                    if done:
                        conn.execute(BARE_LEDGER, {"sku": sku, "wh": warehouse_id, "m": merchant_id, "doc": ref,
                                                   "now": _utc()})
                    conn.commit()
                else:
                    try:
                        inv.lock(None, sku, warehouse_id, 1, ref)
                        db.session.commit()
                        done = True
                    except inv.InsufficientStock:
                        db.session.rollback()
                        done = False
                if done:
                    taken += 1
                else:
                    refused += 1
                    if deadline is None:
                        break
        except Exception as exc:  # noqa: BLE001 - printed with the figures
            problem = f"{type(exc).__name__}: {exc}"
        if conn is not None:
            conn.close()
        db.session.remove()
        db.engine.dispose()
    results.put((taken, refused, problem))


def _utc():
    from portal.models import utcnow
    return utcnow()


def race(url, mode, skus, ids, processes, seconds):
    """Run ``processes`` lockers at once; (locks per second, taken, errors, elapsed)."""
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(processes + 1), ctx.Queue()
    workers = [ctx.Process(target=_locker, args=(url, mode, skus, ids["warehouse"], ids["merchant"], n, seconds,
                                                 barrier, results)) for n in range(processes)]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=300)
    started = time.perf_counter()
    outcomes = [results.get(timeout=600) for _ in workers]
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    taken = sum(o[0] for o in outcomes)
    errors = [o[2] for o in outcomes if o[2]]
    return taken / elapsed, taken, errors, elapsed


def oversold(app, sku_ids, warehouse_id, bare_taken):
    """Units locked beyond what is there, or not matching the reservations and
    ledger: 0 when the stock adds up."""
    with app.app_context():
        rows = db.session.execute(select(Stock).where(Stock.sku_id.in_(sku_ids),
                                                      Stock.warehouse_id == warehouse_id)).scalars().all()
        over = sum(max(0, r.locked - r.on_hand) for r in rows)
        locked = sum(r.locked for r in rows)
        live = db.session.execute(select(func.coalesce(func.sum(StockLock.qty), 0)).where(
            StockLock.sku_id.in_(sku_ids), StockLock.status == LIVE)).scalar()
        ledger = db.session.execute(select(func.coalesce(func.sum(StockLedger.delta), 0)).where(
            StockLedger.sku_id.in_(sku_ids), StockLedger.state == "locked")).scalar()
        db.session.remove()
    return over, locked, int(live) + bare_taken, int(ledger)


def reset_locks(app, sku_ids):
    """Back to nothing locked, so each run starts alike."""
    with app.app_context():
        db.session.execute(text("DELETE FROM inventory_stock_ledger WHERE state = 'locked'"))
        db.session.execute(text("DELETE FROM portal_audit_log WHERE action = 'inventory.lock'"))
        db.session.execute(text("DELETE FROM inventory_stock_lock"))
        db.session.execute(text("UPDATE inventory_stock SET locked = 0"))
        db.session.commit()
        db.session.remove()


def measure_locks(app, url, args):
    ids = seed_locks(app, args.spread_skus)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # forked workers must not inherit open connections
    print(f"\nlocks per second (one unit each, a commit each; {args.seconds:.0f} s per run). service: "
          "services.lock (conditional UPDATE + reservation row + ledger row); bare: the same conditional "
          "UPDATE and ledger INSERT, by hand")
    print(f"{'SKUs':<22} {'procs':>5} {'service/s':>10} {'bare/s':>9} {'ratio':>6} {'oversold':>9} {'adds up':>8}")
    for label, skus in (("1 hot SKU", [ids["hot"]]), (f"{len(ids['spread']):,} spread SKUs", ids["spread"])):
        for processes in [int(p) for p in args.processes.split(",")]:
            rates, problems, bad = {}, [], []
            for mode in ("service", "bare"):
                reset_locks(app, skus)
                rate, taken, errors, _ = race(url, mode, skus, ids, processes, args.seconds)
                rates[mode] = rate
                problems += errors
                over, locked, live, ledger = oversold(app, skus, ids["warehouse"], taken if mode == "bare" else 0)
                if over or locked != taken or live != taken or ledger != taken:
                    bad.append(f"{mode}: {taken} taken, {locked} locked, {live} reserved, ledger {ledger}")
            print(f"{label:<22} {processes:>5} {rates['service']:>10.0f} {rates['bare']:>9.0f} "
                  f"{rates['service'] / rates['bare']:>6.2f} {over:>9} {'yes' if not bad else 'NO':>8}")
            for line in problems + bad:
                print(f"    ! {line}")
    reset_locks(app, [ids["last"]])
    rate, taken, errors, elapsed = race(url, "service", [ids["last"]], ids, 16, None)
    over, locked, live, ledger = oversold(app, [ids["last"]], ids["warehouse"], 0)
    print(f"\nlast units: 16 processes racing for {LAST_UNITS:,} units took {taken:,} in {elapsed:.1f}s "
          f"({rate:.0f}/s); locked {locked:,}, reservations {live:,}, ledger {ledger:,}, oversold {over}"
          + (f"; errors: {errors}" if errors else ""))


# -- the stock list -------------------------------------------------------------------

def seed_list(app, args):
    """100,000 products x 4 SKUs over 20 merchants (the catalog bench's seed), 4
    warehouses (one platform-run), one stock row per SKU; a low-stock policy
    on 1 SKU in 100."""
    started = time.perf_counter()
    bench_catalog.seed(app, argparse.Namespace(products=args.products, skus_per_product=4, merchants=20))
    with app.app_context():
        merchant_ids = db.session.execute(select(Merchant.id).order_by(Merchant.id)).scalars().all()
        warehouses = [inv.create_warehouse(None, None, {"code": "PLAT", "name": "Platform", "regions": "CN",
                                                  "priority": 1})]
        for n, code in enumerate(("ACME-SH", "ACME-GZ", "ACME-BJ")):
            warehouses.append(inv.create_warehouse(None, merchant_ids[0], {"code": code, "name": code,
                                                                           "regions": "CN", "priority": 10 + n}))
        db.session.commit()
        wh_ids = [w.id for w in warehouses]
        rng = random.Random(11)
        last = db.session.execute(text("SELECT max(id) FROM catalog_sku")).scalar()
        for start in range(1, last + 1, 20_000):
            rows = db.session.execute(text("SELECT id, merchant_id FROM catalog_sku WHERE id >= :a AND id < :b"),
                                      {"a": start, "b": start + 20_000}).all()
            stock, policies = [], []
            for sku_id, merchant_id in rows:
                wh = rng.choice(wh_ids) if merchant_id == merchant_ids[0] else wh_ids[0]
                on_hand = rng.randint(0, 500)
                locked = rng.randint(0, on_hand // 4)
                stock.append({"sku_id": sku_id, "warehouse_id": wh, "merchant_id": merchant_id, "on_hand": on_hand,
                              "locked": locked, "damaged": 0, "quality_hold": 0})
                if sku_id % 100 == 0:
                    policies.append({"sku_id": sku_id, "merchant_id": merchant_id, "safety_stock": 0,
                                     "low_stock_threshold": 400})
            db.session.execute(insert(Stock), stock)
            if policies:
                db.session.execute(insert(SkuPolicy), policies)
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        count = db.session.execute(text("SELECT count(*) FROM inventory_stock")).scalar()
        merchant_wh = wh_ids[1]
        db.session.remove()
    return count, time.perf_counter() - started, wh_ids[0], merchant_wh


STOCK_COLUMNS = ("s.id, s.sku_id, s.warehouse_id, s.on_hand, s.locked, s.damaged, s.quality_hold, k.code, "
                 "p.title_en, w.code")
STOCK_FROM = ("FROM inventory_stock s JOIN catalog_sku k ON k.id = s.sku_id JOIN catalog_product p "
              "ON p.id = k.product_id JOIN inventory_warehouse w ON w.id = s.warehouse_id")


def list_cases(platform_wh, merchant_wh, dialect):
    """(label, query string, user, raw SQL, parameters): the raw SQL is the
    best hand-written query for the same rows in the same order."""
    admin, merchant = "bench-admin@example.test", "bench-merchant@example.test"
    order = "ORDER BY s.sku_id, s.warehouse_id LIMIT 51"
    if dialect == "postgresql":
        titles = "SELECT id FROM catalog_product WHERE title_en ILIKE :like OR title_zh ILIKE :like"
    else:
        titles = ("SELECT rowid FROM catalog_product_search WHERE catalog_product_search MATCH :phrase")
    search = (f"s.sku_id IN (SELECT id FROM catalog_sku WHERE code >= :q AND code < :q_end "
              f"UNION SELECT id FROM catalog_sku WHERE barcode = :q "
              f"UNION SELECT id FROM catalog_sku WHERE product_id IN ({titles}))")

    def words(q):
        return {"q": q, "q_end": q + "\U0010ffff", "like": f"%{q}%", "phrase": f'"{q}"'}
    return [
        ("first page, platform admin", "", admin, f"SELECT {STOCK_COLUMNS} {STOCK_FROM} {order}", {}),
        ("first page, merchant admin", "", merchant,
         f"SELECT {STOCK_COLUMNS} {STOCK_FROM} WHERE s.merchant_id = :m {order}", {"m": 1}),
        ("one warehouse (platform)", f"warehouse={platform_wh}", admin,
         f"SELECT {STOCK_COLUMNS} {STOCK_FROM} WHERE s.warehouse_id = :w {order}", {"w": platform_wh}),
        ("one warehouse, merchant admin", f"warehouse={merchant_wh}", merchant,
         f"SELECT {STOCK_COLUMNS} {STOCK_FROM} WHERE s.merchant_id = :m AND s.warehouse_id = :w {order}",
         {"m": 1, "w": merchant_wh}),
        ("search a SKU code", "q=P4321-2", admin,
         f"SELECT {STOCK_COLUMNS} {STOCK_FROM} WHERE {search} {order}", words("P4321-2")),
        ("search a title word (1 in 20 titles)", "q=teapot", admin,
         f"SELECT {STOCK_COLUMNS} {STOCK_FROM} WHERE {search} {order}", words("teapot")),
        ("state: locked, one merchant warehouse", f"state=locked&warehouse={merchant_wh}", admin,
         f"SELECT {STOCK_COLUMNS} {STOCK_FROM} WHERE locked > 0 AND s.warehouse_id = :w {order}", {"w": merchant_wh}),
        ("state: nothing available", "state=unavailable", admin,
         f"SELECT {STOCK_COLUMNS} {STOCK_FROM} WHERE on_hand - locked - damaged - quality_hold <= 0 {order}", {}),
        ("low stock only", "low=1", admin,
         f"SELECT {STOCK_COLUMNS} {STOCK_FROM} JOIN inventory_sku_policy pol ON pol.sku_id = s.sku_id "
         f"WHERE pol.low_stock_threshold > 0 AND s.on_hand - s.locked - s.damaged - s.quality_hold "
         f"<= pol.low_stock_threshold ORDER BY pol.sku_id, s.warehouse_id LIMIT 51", {}),
    ]


def measure_list(app, args):
    count, seconds, platform_wh, merchant_wh = seed_list(app, args)
    print(f"\nstock list: {count:,} stock rows seeded in {seconds:.0f}s. page: GET /inventory/stock/ through the test "
          "client, rendered; raw: hand-written SQL for the same rows")
    clients = {email: bench_catalog.sign_in(app, email)
               for email in ("bench-admin@example.test", "bench-merchant@example.test")}
    print(f"{'stock list':<40} {'page p50':>9} {'page p95':>9} {'raw p95':>8}")
    with app.app_context():
        dialect = db.engine.dialect.name
    for label, query, email, sql, params in list_cases(platform_wh, merchant_wh, dialect):
        path = "/inventory/stock/" + (f"?{query}" if query else "")
        page = bench_catalog.timed(bench_catalog.page_fn(clients[email], path), args.requests, args.warmup)

        def raw(sql=sql, params=params):
            with app.app_context():
                with db.engine.connect() as conn:
                    conn.execute(text(sql), params).all()
        raw_times = bench_catalog.timed(raw, args.requests, args.warmup)
        print(f"{label:<40} {bench_catalog.pct(page, 50):9.1f} {bench_catalog.pct(page, 95):9.1f} "
              f"{bench_catalog.pct(raw_times, 95):8.1f}")


def postgres_url():
    return bench_catalog.postgres_url()


def main():
    args = parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"times in ms")
    targets = [t for t in ("sqlite", "postgresql") if args.database in (t, "both")]
    for target in targets:
        with tempfile.TemporaryDirectory() as tmp:
            url = "sqlite:///" + os.path.join(tmp, "bench.db") if target == "sqlite" else postgres_url()
            print(f"\n=== {make_url(url).get_backend_name()}")
            app = make_app(url, tmp)
            if not args.skip_locks:
                measure_locks(app, url, args)
            if not args.skip_list:
                app = make_app(url, tmp)
                measure_list(app, args)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


if __name__ == "__main__":
    main()
