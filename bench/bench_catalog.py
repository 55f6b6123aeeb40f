"""Catalog at scale: 100,000 products and 400,000 SKUs seeded in bulk
(SQLAlchemy core), then the product list's p50/p95 for the first page, a
filtered page and searches, each three ways: the whole page through the Flask
test client (rendering included), the service's queries alone, and
hand-written SQL fetching the same rows. Then an import of 10,000 rows:
preview and import time, peak Python memory (tracemalloc) and the process's
peak RSS. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_catalog.py [--products 100000] [--requests 100]
        [--database sqlite|postgresql|both] [--import-rows 10000]

PostgreSQL: PORTAL_BENCH_DATABASE_URL, else the database portal_bench on the
local server (created when missing). Every table in it is dropped first.
"""
import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import bindparam, create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.datastructures import FileStorage  # noqa: E402

from plugins.catalog.models import Category, Product, Sku  # noqa: E402
from plugins.catalog.services import imports, library, queries  # noqa: E402
from portal_setup import build_portal as _build_portal  # noqa: E402
from portal import access  # noqa: E402
from portal.auth import services  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Merchant, User  # noqa: E402
from portal.paging import paginate  # noqa: E402

PASSWORD = "bench-password-2026"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench"
ADJECTIVES = ["Linen", "Cotton", "Classic", "Vintage", "Ultralight", "Merino", "Rustic", "Glazed", "Smart",
              "Compact", "Deluxe", "Organic", "Waterproof", "Bamboo", "Ceramic", "Steel", "Wool", "Silk"]
NOUNS = ["shirt", "jacket", "teapot", "backpack", "tent", "mug", "wok", "plate", "lamp", "chair", "kettle",
         "scarf", "blanket", "bottle", "speaker", "watch", "sneaker", "notebook", "pillow", "bowl"]
RARE = "zephyrine"  # in about 1 title in 2,000: a selective search


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--skus-per-product", type=int, default=4)
    parser.add_argument("--merchants", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100, help="timed runs per measurement")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--database", default="both", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--import-rows", type=int, default=10_000)
    return parser.parse_args()


# -- set-up ---------------------------------------------------------------------------

def postgres_url():
    """PORTAL_BENCH_DATABASE_URL, or portal_bench on the local server (created)."""
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or PG_DEFAULT
    parsed = make_url(url)
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first():
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        engine.dispose()
    return url


def build_portal(url, tmp):
    return _build_portal(url, tmp, PORTAL_UPLOAD_DIR=os.path.join(tmp, "uploads"), WTF_CSRF_ENABLED=False)


def seed_library(rng):
    """10 root categories with 5 leaves each, colour x size on the roots, 50 brands."""
    roots, leaves = [], []
    for r in range(10):
        root = library.create_category(None, f"Department {r}", f"部门{r}")
        library.create_attribute(None, root, "colour", "Colour", "颜色", "spec",
                                 [("Red", "红"), ("Blue", "蓝"), ("Black", "黑"), ("White", "白")])
        library.create_attribute(None, root, "size", "Size", "尺码", "spec", [("S", ""), ("M", ""), ("L", "")])
        roots.append(root)
        leaves += [library.create_category(None, f"Aisle {r}.{c}", f"货架{r}.{c}", parent_id=root.id)
                   for c in range(5)]
    brands = [library.create_brand(None, f"Brand {b:02d}", f"品牌{b:02d}") for b in range(50)]
    db.session.commit()
    return roots, leaves, brands


def seed(app, args):
    """Merchants, staff, the library, then products and SKUs in bulk."""
    rng = random.Random(7)
    started = time.perf_counter()
    with app.app_context():
        services.create_user("bench-admin@example.test", PASSWORD, [services.role_by_name(access.PLATFORM_ADMIN)])
        db.session.execute(insert(Merchant), [
            {"code": f"B{i:03d}", "name": f"Bench {i}", "legal_name": f"Bench {i} Ltd", "country": "CN",
             "default_currency": "CNY", "status": "active"} for i in range(args.merchants)])
        merchants = list(db.session.execute(select(Merchant).order_by(Merchant.id)).scalars())
        services.create_user("bench-merchant@example.test", PASSWORD,
                             [services.role_by_name(access.MERCHANT_ADMIN)], merchants[0])
        roots, leaves, brands = seed_library(rng)
        _bulk_products(args, rng, [m.id for m in merchants], [c.id for c in leaves], [b.id for b in brands])
        if db.engine.dialect.name == "postgresql":
            for table in ("catalog_product", "catalog_sku"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return time.perf_counter() - started, roots


def _bulk_products(args, rng, merchant_ids, leaf_ids, brand_ids):
    statuses = ["on"] * 6 + ["off"] * 4
    products, skus, sku_id = [], [], 0
    for pid in range(1, args.products + 1):
        words = [rng.choice(ADJECTIVES), rng.choice(NOUNS)]
        if pid % 2000 == 0:
            words.insert(1, RARE)
        merchant = merchant_ids[pid % len(merchant_ids)]
        products.append({"id": pid, "merchant_id": merchant, "category_id": rng.choice(leaf_ids),
                         "brand_id": rng.choice(brand_ids), "title_en": f"{' '.join(words)} {pid}",
                         "title_zh": f"商品{pid}", "description_en": "", "description_zh": "",
                         "review_status": "pending" if pid % 20 == 0 else "approved",
                         "shelf_status": rng.choice(statuses), "review_reason": ""})
        for n in range(args.skus_per_product):
            sku_id += 1
            skus.append({"id": sku_id, "product_id": pid, "merchant_id": merchant, "spec_key": str(n),
                         "code": f"P{pid}-{n}", "barcode": f"69{sku_id:011d}",
                         "price": Decimal(rng.randint(100, 99900)) / 100,
                         "currency": "CNY", "hs_code": "", "origin_country": "CN", "active": True})
        if len(products) >= 5000:
            _flush(products, skus)
    _flush(products, skus)


def _flush(products, skus):
    if products:
        db.session.execute(insert(Product), products)
        db.session.execute(insert(Sku), skus)
        db.session.commit()
    products.clear()
    skus.clear()


# -- timing ---------------------------------------------------------------------------

def timed(fn, requests, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def pct(times, q):
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def sign_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"signing in as {email} failed ({response.status_code})")
    return client


def page_fn(client, path):
    def get():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    return get


def service_fn(app, args, user_email):
    """The list page's queries, as the view runs them, without HTTP or templates."""
    def run():
        with app.test_request_context("/catalog/products/"):
            user = db.session.execute(select(User).where(User.email == user_email)).scalar_one()
            filters = queries.ProductFilters.from_args(args)
            page = paginate(queries.product_query(filters, user=user), 1, count=False)
            queries.sku_summaries([p.id for p in page.items])
            db.session.remove()
    return run


def raw_fn(app, sql, params):
    """The same page by hand: the products, then their SKU figures."""
    summary = text("SELECT product_id, count(id), min(price), max(price), min(currency) FROM catalog_sku "
                   "WHERE product_id IN :ids GROUP BY product_id").bindparams(bindparam("ids", expanding=True))

    def run():
        with app.app_context():
            with db.engine.connect() as conn:
                ids = [row[0] for row in conn.execute(text(sql), params)]
                if ids:
                    conn.execute(summary, {"ids": ids}).all()
    return run


COLUMNS = ("id, merchant_id, category_id, brand_id, title_en, title_zh, review_status, shelf_status, "
           "updated_at")


def cases(roots, dialect):
    """(label, list-page arguments, user, raw SQL, parameters). The raw
    search is the best plain SQL for the database, the same as the service's:
    ILIKE and ``id = ANY(ARRAY(...))`` on PostgreSQL (trigram indexes); on
    SQLite the FTS5 trigram table's matches and the SKU matches as one
    ``id IN (...)``, each row then tested with LIKE (ASCII case-insensitive
    there) as before the index, so both return the rows the plain scan did."""
    subtree = f"/{roots[3].id}/%"
    rare_like, word_like = f"%{RARE}%", "%teapot%"
    codes = ("SELECT product_id FROM catalog_sku WHERE code = :raw "
             "UNION SELECT product_id FROM catalog_sku WHERE barcode = :raw")
    if dialect == "postgresql":
        by_title = f"(title_en ILIKE :q OR title_zh ILIKE :q OR id = ANY(ARRAY({codes})))"
    else:
        indexed = "SELECT rowid FROM catalog_product_search WHERE catalog_product_search MATCH :phrase"
        by_title = (f"(id IN ({indexed} UNION {codes}) AND (title_en LIKE :q ESCAPE '\\' "
                    f"OR title_zh LIKE :q ESCAPE '\\' OR id IN ({codes})))")
    admin, merchant = "bench-admin@example.test", "bench-merchant@example.test"
    return [
        ("first page, platform admin", {}, admin,
         f"SELECT {COLUMNS} FROM catalog_product ORDER BY id DESC LIMIT 51", {}),
        ("first page, merchant admin", {}, merchant,
         f"SELECT {COLUMNS} FROM catalog_product WHERE merchant_id = :m ORDER BY id DESC LIMIT 51", {"m": 1}),
        ("filtered: category subtree + on shelf + brand", {"category": str(roots[3].id), "shelf": "on", "brand": "7"},
         admin, f"SELECT {COLUMNS} FROM catalog_product WHERE category_id IN (SELECT id FROM catalog_category "
                f"WHERE path LIKE :path) AND shelf_status = 'on' AND brand_id = 7 ORDER BY id DESC LIMIT 51",
         {"path": subtree}),
        ("search 'teapot' (1 in 20 titles)", {"q": "teapot"}, admin,
         f"SELECT {COLUMNS} FROM catalog_product WHERE {by_title} ORDER BY id DESC LIMIT 51",
         {"q": word_like, "raw": "teapot", "phrase": '"teapot"'}),
        (f"search '{RARE}' (1 in 2,000 titles)", {"q": RARE}, admin,
         f"SELECT {COLUMNS} FROM catalog_product WHERE {by_title} ORDER BY id DESC LIMIT 51",
         {"q": rare_like, "raw": RARE, "phrase": f'"{RARE}"'}),
        (f"search '{RARE}', merchant admin", {"q": RARE}, merchant,
         f"SELECT {COLUMNS} FROM catalog_product WHERE merchant_id = :m AND {by_title} ORDER BY id DESC LIMIT 51",
         {"q": rare_like, "raw": RARE, "phrase": f'"{RARE}"', "m": 1}),
        ("search a SKU code (exact)", {"q": "P4321-2"}, admin,
         f"SELECT {COLUMNS} FROM catalog_product WHERE {by_title} ORDER BY id DESC LIMIT 51",
         {"q": "%p4321-2%", "raw": "P4321-2", "phrase": '"P4321-2"'}),
    ]


def measure_lists(app, args, roots):
    from urllib.parse import urlencode
    clients = {email: sign_in(app, email) for email in ("bench-admin@example.test", "bench-merchant@example.test")}
    print("\npage: GET through the test client, rendered; query: the view's queries with the user's access "
          "(no HTTP, no template); raw: hand-written SQL for the same rows")
    print(f"{'product list':<48} {'page p50':>9} {'page p95':>9} {'query p95':>10} {'raw p95':>8}"
          f" {'p95-raw':>8}")
    with app.app_context():
        dialect = db.engine.dialect.name
    for label, query_args, email, sql, params in cases(roots, dialect):
        path = "/catalog/products/" + (("?" + urlencode(query_args)) if query_args else "")
        page = timed(page_fn(clients[email], path), args.requests, args.warmup)
        service = timed(service_fn(app, query_args, email), args.requests, args.warmup)
        raw = timed(raw_fn(app, sql, params), args.requests, args.warmup)
        print(f"{label:<48} {pct(page, 50):9.1f} {pct(page, 95):9.1f} {pct(service, 95):10.1f} {pct(raw, 95):8.1f}"
              f" {pct(service, 95) - pct(raw, 95):8.1f}")


# -- import ---------------------------------------------------------------------------

def import_file(rows, leaf_path, prefix):
    """A portal-format CSV: products of 4 SKUs (2 colours x 2 sizes)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["product_ref", "title_en", "title_zh", "description_en", "category", "brand", "sku_code",
                     "barcode", "price", "currency", "weight_g", "hs_code", "origin_country", "spec:colour",
                     "spec:size"])
    combos = [("Red", "S"), ("Red", "M"), ("Blue", "S"), ("Blue", "M")]
    for n in range(rows):
        product, (colour, size) = n // 4, combos[n % 4]
        writer.writerow([f"{prefix}-{product}", f"Imported linen shirt {product}", f"进口亚麻衬衫{product}",
                         "<p>Soft <b>linen</b>.</p>", leaf_path, "Brand 03", f"{prefix}-{product}-{colour}-{size}",
                         f"69{n:011d}", f"{100 + n % 50}.90", "CNY", "250", "620520", "CN", colour, size])
    return out.getvalue().encode("utf-8")


def measure_import(app, args):
    with app.app_context():
        leaf = db.session.execute(select(Category).where(Category.depth == 1).order_by(Category.id)).scalars().first()
        leaf_path = f"{leaf.parent.name_en} > {leaf.name_en}"
        merchants = list(db.session.execute(select(Merchant).order_by(Merchant.id).limit(3)).scalars())
        user = lambda m: services.create_user(f"importer{m.id}@example.test", PASSWORD,  # noqa: E731
                                              [services.role_by_name(access.MERCHANT_ADMIN)], m)
        users = [user(m) for m in merchants[1:3]]
        db.session.commit()
        data = import_file(args.import_rows, leaf_path, "IMP")
        print(f"\nimport of {args.import_rows} rows ({len(data) / 1e6:.1f} MB CSV, {args.import_rows // 4} products)")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        timings = run_import(users[0], data)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"  store {timings['store']:.1f}s, preview (read + check) {timings['check']:.1f}s, "
              f"import (check again + write + commit) {timings['import']:.1f}s; total {sum(timings.values()):.1f}s")
        print(f"  peak RSS of the process {rss_after / 1024:.0f} MB (before the import {rss_before / 1024:.0f} MB)")
        tracemalloc.start()
        run_import(users[1], data)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  peak Python memory during an import (tracemalloc, second merchant): {peak / 1e6:.0f} MB")
        again = time.perf_counter()
        plan = imports.run_import(users[0], imports.store_import_file(
            users[0], FileStorage(io.BytesIO(data), filename="again.csv"), users[0].merchant_id)[0])
        db.session.commit()
        print(f"  the same file again: {plan.count('unchanged')} products unchanged, {plan.skus_created} SKUs "
              f"created, in {time.perf_counter() - again:.1f}s")


def run_import(user, data):
    timings = {}
    started = time.perf_counter()
    stored, _ = imports.store_import_file(user, FileStorage(io.BytesIO(data), filename="bench.csv"), user.merchant_id)
    db.session.commit()
    timings["store"] = time.perf_counter() - started
    started = time.perf_counter()
    plan = imports.check_file(user, stored)
    timings["check"] = time.perf_counter() - started
    if plan.issues:
        raise SystemExit(f"the bench file has problems: {plan.issues[:3]}")
    started = time.perf_counter()
    imports.run_import(user, stored)
    db.session.commit()
    timings["import"] = time.perf_counter() - started
    return timings


def run(args, url, tmp):
    app = build_portal(url, tmp)
    seconds, roots = seed(app, args)
    with app.app_context():
        counts = [db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("catalog_product", "catalog_sku")]
        roots = list(db.session.execute(select(Category).where(Category.depth == 0).order_by(Category.id)).scalars())
        indexes = sorted(db.inspect(db.engine).get_indexes("catalog_product"), key=lambda i: i["name"])
    print(f"\n=== {make_url(url).get_backend_name()}: {counts[0]:,} products, {counts[1]:,} SKUs seeded in "
          f"{seconds:.0f}s; {len(indexes)} indexes on catalog_product")
    measure_lists(app, args, roots)
    measure_import(app, args)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main():
    args = parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"{args.requests} timed runs per figure after {args.warmup} untimed; times in ms")
    targets = []
    if args.database in ("sqlite", "both"):
        targets.append("sqlite")
    if args.database in ("postgresql", "both"):
        targets.append("postgresql")
    for target in targets:
        with tempfile.TemporaryDirectory() as tmp:
            url = "sqlite:///" + os.path.join(tmp, "bench.db") if target == "sqlite" else postgres_url()
            run(args, url, tmp)


if __name__ == "__main__":
    main()
