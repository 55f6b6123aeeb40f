"""Request latency in-process (Flask test client, no network): p50/p95 per
request for the portal's /healthz, the dashboard and the users list with 10,000
users, beside a bare Flask app on the same machine. Prints figures; asserts
nothing.

    .venv/bin/python bench/bench_requests.py [--users 10000] [--requests 300]
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench]

The default database is a new SQLite file in a temporary folder. A PostgreSQL
database given with --database is emptied first (every table dropped).
"""
import argparse
import os
import re
import statistics
import sys
import tempfile
import time

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")  # seeding hashes one password, signing in verifies it

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from flask import Flask, jsonify  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from portal_setup import build_portal  # noqa: E402
from portal import access  # noqa: E402
from portal.auth import passwords, services  # noqa: E402
from portal.config import _engine_options  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Merchant, User, user_role  # noqa: E402

ADMIN_EMAIL = "bench-admin@example.test"
PASSWORD = "bench-password-2026"
USERS_LIST = "/permissions/users/"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000, help="users to seed (default 10000)")
    parser.add_argument("--merchants", type=int, default=50, help="merchants they work for (default 50)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per URL (default 300)")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests first (default 30)")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    return parser.parse_args()




def seed(app, users, merchants):
    """One platform admin, ``merchants`` merchants and ``users`` staff spread
    over them, inserted in bulk (one password hash for all)."""
    started = time.perf_counter()
    with app.app_context():
        services.create_user(ADMIN_EMAIL, PASSWORD, [services.role_by_name(access.PLATFORM_ADMIN)], name="Bench")
        db.session.execute(insert(Merchant), [
            {"code": f"B{i:04d}", "name": f"Bench Merchant {i}", "legal_name": f"Bench Merchant {i} Ltd",
             "country": "CN", "default_currency": "CNY", "status": "active"} for i in range(merchants)])
        merchant_ids = list(db.session.execute(select(Merchant.id).order_by(Merchant.id)).scalars())
        staff_role = services.role_by_name(access.MERCHANT_STAFF).id
        password_hash = passwords.hash_password(PASSWORD)
        first = (db.session.execute(select(func.max(User.id))).scalar() or 0) + 1
        rows = [{"id": first + i, "email": f"staff{i:05d}@bench.test", "name": f"Staff {i:05d}",
                 "password_hash": password_hash, "merchant_id": merchant_ids[i % len(merchant_ids)],
                 "active": True, "locale": "en", "timezone": "Asia/Shanghai"} for i in range(users)]
        for chunk in range(0, users, 2000):
            db.session.execute(insert(User), rows[chunk:chunk + 2000])
            db.session.execute(insert(user_role), [{"user_id": r["id"], "role_id": staff_role}
                                                   for r in rows[chunk:chunk + 2000]])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # the explicit ids left the sequence behind, and the planner wants fresh statistics
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('portal_user', 'id'), "
                                    "(SELECT max(id) FROM portal_user))"))
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return time.perf_counter() - started


def timed(client, path, requests, warmup):
    """Per-request wall time in ms; every answer must be 200."""
    for _ in range(warmup):
        check(client.get(path), path)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        check(response, path)
    return times


def sign_in(client):
    """Through the real form, CSRF token included (the bench runs with CSRF on, as production does)."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
    response = client.post("/login", data=data)
    if response.status_code != 302:
        raise SystemExit(f"signing in failed ({response.status_code})")


def check(response, path):
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}; the figures would be meaningless")


def p(times, q):
    """The q-th percentile (nearest rank)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def bare_app(url):
    """A bare Flask app: one route that answers JSON, one that also runs SELECT 1
    on the same database, so the portal's own cost can be told from the database's."""
    app = Flask("bare")
    engine = create_engine(url, **_engine_options(url))

    @app.route("/ping")
    def ping():
        return jsonify(status="ok")

    @app.route("/db")
    def database():
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return jsonify(status="ok")

    return app, engine


def report(rows):
    print(f"\n{'request':<44} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for label, times in rows:
        print(f"{label:<44} {p(times, 50):8.2f} {p(times, 95):8.2f} {statistics.fmean(times):8.2f}")


def run(args, url, tmp):
    app = build_portal(url, tmp)
    seconds = seed(app, args.users, args.merchants)
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}; "
          f"seeded {args.users} users over {args.merchants} merchants in {seconds:.1f}s")
    client = app.test_client()
    rows = [("portal GET /healthz (anonymous)", timed(client, "/healthz", args.requests, args.warmup))]
    sign_in(client)
    rows.append(("portal GET /healthz (signed in)", timed(client, "/healthz", args.requests, args.warmup)))
    rows.append(("portal GET / dashboard (platform admin)", timed(client, "/", args.requests, args.warmup)))
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    if USERS_LIST in routes:
        rows.append((f"portal GET {USERS_LIST} ({args.users} users)",
                     timed(client, USERS_LIST, args.requests, args.warmup)))
    else:
        print(f"{USERS_LIST} does not exist in this build: not measured")

    bare, engine = bare_app(url)
    bare_client = bare.test_client()
    rows.append(("bare Flask GET /ping", timed(bare_client, "/ping", args.requests, args.warmup)))
    rows.append(("bare Flask GET /db (SELECT 1)", timed(bare_client, "/db", args.requests, args.warmup)))
    engine.dispose()
    report(rows)
    summarise(dict(rows))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def summarise(rows):
    anonymous, signed_in = rows["portal GET /healthz (anonymous)"], rows["portal GET /healthz (signed in)"]
    dashboard = rows["portal GET / dashboard (platform admin)"]
    ping, bare_db = rows["bare Flask GET /ping"], rows["bare Flask GET /db (SELECT 1)"]
    base = p(bare_db, 50)
    print(f"\n/healthz runs SELECT 1 like bare /db, so the difference is the portal's per-request cost:")
    print(f"  anonymous: {p(anonymous, 50) / base:.1f}x bare, +{p(anonymous, 50) - base:.2f} ms at p50"
          " (CSP nonce, identity, plugin gate, headers)")
    print(f"  signed in: {p(signed_in, 50) / base:.1f}x bare, +{p(signed_in, 50) - base:.2f} ms at p50"
          " (also the session row, the user and the plugin state version)")
    print(f"dashboard: {p(dashboard, 50) / p(ping, 50):.1f}x bare /ping, +{p(dashboard, 50) - p(ping, 50):.2f} ms"
          " at p50 (the page with its menu, rendered)")


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or "sqlite:///" + os.path.join(tmp, "bench.db")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; "
              f"{args.requests} timed requests per URL after {args.warmup} untimed")
        run(args, url, tmp)


if __name__ == "__main__":
    main()
