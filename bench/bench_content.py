"""The storefront homepage API, on the demo data (a platform homepage of six
floors: banners, category navigation, top sellers ranked from the demo
orders, a brand wall, campaign blocks, rich text).

1. Latency in-process (Flask test client, no network): p50/p95 of
   ``GET /content/api/v1/home`` as storefronts call it (answered from the
   per-process cache, which the content counter keeps fresh), with the cache
   dropped before every request (the page resolved against the catalog and
   the sales figures each time), and a revalidation answered 304.
2. Requests per second under load: 1 and 2 processes, each its own
   application and connection (as gunicorn workers), calling as fast as
   answers come back, beside a bare Flask app returning the same JSON body
   from a route, in the same run; the portal's /healthz beside them shows
   the floor every portal route stands on (the plugin gate, the session).

Prints figures; asserts nothing.

    .venv/bin/python bench/bench_content.py [--database URL] [--requests 500] [--seconds 5]

The default database is a new SQLite file in a temporary folder; a
PostgreSQL URL given with --database is emptied first (every table dropped).
"""
import argparse
import multiprocessing
import os
import sys
import tempfile
import time

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from flask import Flask, Response  # noqa: E402

from bench_catalog import pct, timed  # noqa: E402
from portal import create_app  # noqa: E402
from portal.config import _engine_options  # noqa: E402
from portal.demo import load_demo  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal_setup import build_portal  # noqa: E402

URL = "/content/api/v1/home"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--requests", type=int, default=500, help="timed requests per case (default 500)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests first (default 50)")
    parser.add_argument("--seconds", type=float, default=5, help="seconds per load run (default 5)")
    return parser.parse_args()


def settings(url, tmp):
    return {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url), "SECRET_KEY": "bench",
            "INSTANCE_PATH": os.path.join(tmp, "instance"), "PORTAL_UPLOAD_DIR": os.path.join(tmp, "uploads"),
            "ORDERS_DEMO_ORDERS": 400}


def bare_app(body):
    """A Flask app with one route answering the same JSON bytes: the floor to compare with."""
    app = Flask("bare")

    @app.get(URL)
    def home():
        return Response(body, mimetype="application/json")
    return app


def latency(app, args):
    client = app.test_client()
    first = client.get(URL)
    if first.status_code != 200:
        raise SystemExit(f"{URL} answered {first.status_code}: {first.get_data(as_text=True)[:300]}")
    etag = first.headers["ETag"]
    body = first.get_json()
    items = sum(len(f.get("items", [])) for f in body["floors"])
    print(f"homepage: {len(body['floors'])} floors, {items} items, {len(first.data):,} bytes, "
          f"Cache-Control: {first.headers['Cache-Control']}")

    def uncached():
        app.extensions.pop("content.storefront_cache", None)
        client.get(URL)

    cases = [("cached answer (as storefronts call it)", lambda: client.get(URL)),
             ("resolved every time (cache dropped)", uncached),
             ("revalidation, 304", lambda: client.get(URL, headers={"If-None-Match": etag}))]
    print(f"\nin-process latency, {args.requests} requests each (ms)")
    print(f"{'':<42} {'p50':>7} {'p95':>7}")
    for label, call in cases:
        times = timed(call, args.requests, args.warmup)
        print(f"{label:<42} {pct(times, 50):>7.2f} {pct(times, 95):>7.2f}")
    return first.data


class _healthz:
    """The portal asked for /healthz instead of the homepage."""

    def __init__(self, app):
        self.app = app

    def test_client(self):
        client = self.app.test_client()
        get = client.get
        client.get = lambda url, **kw: get("/healthz", **kw)
        return client


def _caller(make_app, seconds, barrier, results):
    app = make_app()
    client = app.test_client()
    client.get(URL)
    barrier.wait(timeout=300)
    done, failed = 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if client.get(URL).status_code == 200:
            done += 1
        else:
            failed += 1
    results.put((done, failed))


def throughput(label, make_app, processes, seconds):
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(processes + 1), ctx.Queue()
    workers = [ctx.Process(target=_caller, args=(make_app, seconds, barrier, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=300)
    started = time.perf_counter()
    outcomes = [results.get(timeout=600) for _ in workers]
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    done, failed = sum(o[0] for o in outcomes), sum(o[1] for o in outcomes)
    rate = done / elapsed
    print(f"{label:<28} {processes:>9} {rate:>12.0f} {failed:>7}")
    return rate


def main():
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="portal-bench-content-")
    url = args.database or "sqlite:///" + os.path.join(tmp, "bench.db")
    started = time.perf_counter()
    app = build_portal(url, tmp, **settings(url, tmp))
    with app.app_context():
        load_demo(echo=lambda line: None)
        dialect = db.engine.dialect.name
    print(f"database: {dialect}; demo data loaded in {time.perf_counter() - started:.1f} s")
    body = latency(app, args)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

    def portal_app():
        return create_app(settings(url, tmp))

    print(f"\nrequests per second, {args.seconds:.0f} s per run (test client per process, no network)")
    print(f"{'':<28} {'processes':>9} {'requests/s':>12} {'failed':>7}")
    for processes in (1, 2):
        # the portal's own floor: the plugin gate's state check and the session, on a route with no work
        throughput("portal /healthz", lambda: _healthz(portal_app()), processes, args.seconds)
        portal_rate = throughput("portal /content/api/v1/home", portal_app, processes, args.seconds)
        bare_rate = throughput("bare Flask JSON route", lambda: bare_app(body), processes, args.seconds)
        print(f"{'':<28} {'':>9} {'portal / bare':>12} {portal_rate / bare_rate:>7.2f}")


if __name__ == "__main__":
    main()
