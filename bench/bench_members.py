"""Members at scale, on SQLite and PostgreSQL.

With 1,000,000 members and 1,000,000 orders (seeded in bulk, each order
linked to a member; a member has from none to several orders):

1. The member list: p50/p95 through the test client (rendered), first page
   and filtered, for the platform and for a merchant's admin.
2. A segment count (several rules at once, the live count's query): p50/p95.
3. The full RFM recompute (figures from the linked orders, then the scores
   and groups), run in a fresh process: its time, the Python peak
   (tracemalloc) and that process's peak resident size (max RSS), to show
   the work stays in the database.

Seeding is bulk: Core INSERTs of 20,000 rows per statement (orders through
``bench_orders.seed_orders``), never the ORM row by row.

Prints figures; asserts nothing.

    .venv/bin/python bench/bench_members.py [--database sqlite|postgresql|both]
        [--members 1000000] [--orders 1000000] [--requests 50]

PostgreSQL: PORTAL_BENCH_DATABASE_URL, else the database portal_bench on the
local server (created when missing). Every table in it is dropped first.
"""
import argparse
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import bench_catalog  # noqa: E402
import bench_orders  # noqa: E402
from bench_catalog import pct, timed  # noqa: E402
from plugins.members.models import Level, Member, MemberMerchant, MemberOrder, Tag  # noqa: E402
from plugins.orders.models import Order  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import utcnow  # noqa: E402

BATCH = 20_000
REGIONS = ("CN-SH", "CN-BJ", "CN-GD", "CN-ZJ", "CN-JS", "CN-SD", "CN-FJ", "CN-SC")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="both", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    return parser.parse_args()


def seed_members(app, count):
    """The ladder, ``count`` members and a link from every order to one of
    them (skewed: some members order often, a third never): Core inserts of
    ``BATCH`` rows per statement, the merchant links in one INSERT ... SELECT."""
    started = time.perf_counter()
    rng = random.Random(8)
    with app.app_context():
        levels = [Level(code=c, name=c.title(), threshold=t) for c, t in
                  (("bronze", 0), ("silver", 1000), ("gold", 5000), ("platinum", 20000))]
        db.session.add_all(levels)
        db.session.commit()
        level_ids = [lv.id for lv in levels]
        now = utcnow()
        rows, tags = [], []
        for member_id in range(1, count + 1):
            rows.append({"id": member_id, "channel": "bench", "customer_ref": f"M-{member_id}",
                         "name": f"Member {member_id:07d}", "phone": f"139{member_id:08d}",
                         "email": f"m{member_id}@example.test", "region": REGIONS[member_id % len(REGIONS)],
                         "notes": "", "marketing_consent": member_id % 3 != 0,
                         "level_id": rng.choices(level_ids, weights=(60, 25, 12, 3))[0], "growth": 0,
                         "review_due_at": now + timedelta(days=member_id % 365), "points_balance": 0,
                         "orders_count": 0, "total_spent": 0, "created_at": now, "updated_at": now})
            if member_id % 5 == 0:
                tags.append({"member_id": member_id, "tag": ("vip", "newsletter", "wholesale")[member_id % 3]})
            if len(rows) == BATCH:
                _insert(Member, rows, tags)
        _insert(Member, rows, tags)
        _link_orders(rng, count)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('members_member', 'id'), "
                                    "(SELECT max(id) FROM members_member))"))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return time.perf_counter() - started


def _insert(model, rows, tags=None):
    """One Core INSERT of the rows (and the tags beside them), committed; the lists are emptied."""
    with db.engine.begin() as conn:
        if rows:
            conn.execute(insert(model.__table__), rows)
        if tags:
            conn.execute(insert(Tag.__table__), tags)
    rows.clear()
    if tags is not None:
        tags.clear()


def _link_orders(rng, members):
    """Each order to a member among the first two thirds (a Pareto-like
    skew), read in batches by id (no cursor left open across the writes);
    then the members' merchants, computed by the database."""
    active = max(1, members * 2 // 3)
    links, last = [], 0
    while True:
        batch = db.session.execute(select(Order.id, Order.merchant_id, Order.placed_at, Order.total, Order.state)
                                   .where(Order.id > last).order_by(Order.id).limit(BATCH)).all()
        db.session.commit()
        if not batch:
            break
        for order_id, merchant_id, placed_at, total, state in batch:
            links.append({"order_id": order_id, "member_id": 1 + int(active * rng.random() ** 2),
                          "merchant_id": merchant_id, "placed_at": placed_at, "total": total,
                          "cancelled": state == "cancelled", "refunded": 0, "growth": 0, "points_earned": 0,
                          "points_spent": 0, "points_reversed": 0})
        last = batch[-1][0]
        _insert(MemberOrder, links)
    with db.engine.begin() as conn:
        conn.execute(insert(MemberMerchant.__table__).from_select(
            ["member_id", "merchant_id"], select(MemberOrder.member_id, MemberOrder.merchant_id).distinct()))


def measure_rfm(url, tmp):
    """One full recompute in a fresh process (spawned, so its resident size
    is the recompute's, not the seeding's): wall time, Python peak
    (tracemalloc), the process's peak resident size, and the groups."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        seconds, message, peak, rss, groups = pool.apply(_recompute_rfm, (url, tmp))
    print(f"\nRFM recompute: {seconds:.1f}s ({message}); Python peak {peak / 2**20:.1f} MiB "
          f"(tracemalloc), peak resident {rss:.0f} MiB (the process that ran it, max RSS)")
    print("groups: " + ", ".join(f"{g or 'no orders'} {n:,}" for g, n in sorted(groups, key=lambda r: str(r[0]))))


def _recompute_rfm(url, tmp):
    """In the spawned process: the portal on the seeded database (not emptied), one recompute."""
    from plugins.members.services.rfm import recompute
    from portal import create_app
    from portal.config import _engine_options
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url),
                      "SECRET_KEY": "bench", "INSTANCE_PATH": os.path.join(tmp, "instance")})
    with app.app_context():
        tracemalloc.start()
        started = time.perf_counter()
        message = recompute()
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        groups = [tuple(row) for row in db.session.execute(select(Member.rfm_group, func.count())
                                                           .group_by(Member.rfm_group)).all()]
        db.session.remove()
        db.engine.dispose()
    return seconds, message, peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, groups


def page_cases(app):
    with app.app_context():
        merchant_id = db.session.execute(text("SELECT merchant_id FROM portal_user WHERE email = :e"),
                                         {"e": "bench-merchant@example.test"}).scalar()
        level = db.session.execute(select(Level.id).where(Level.code == "gold")).scalar()
    admin, merchant = "bench-admin@example.test", "bench-merchant@example.test"
    return [
        ("list: first page, platform admin", "/members/", admin),
        ("list: first page, merchant admin", "/members/", merchant),
        ("list: search a phone", "/members/?q=13900500000", admin),
        ("list: gold level, by spend", f"/members/?level={level}&sort=-spent", admin),
        ("list: consenting champions", "/members/?rfm=champions&consent=yes", admin),
    ], merchant_id


def measure_pages(app, args):
    clients = {email: bench_catalog.sign_in(app, email)
               for email in ("bench-admin@example.test", "bench-merchant@example.test")}
    cases, _merchant_id = page_cases(app)
    print(f"\n{'members':<40} {'page p50':>9} {'page p95':>9}")
    for label, path, email in cases:
        times = timed(bench_catalog.page_fn(clients[email], path), args.requests, args.warmup)
        print(f"{label:<40} {pct(times, 50):9.1f} {pct(times, 95):9.1f}")


def measure_counts(app, args):
    from plugins.members.services.segments import count
    from portal.models import User
    segments = [
        ("segment: consent + region + spend", {"consent": "yes", "regions": ["CN-GD", "CN-SH"],
                                               "min_spent": "100"}),
        ("segment: orders 2-5, ordered within 90d", {"min_orders": 2, "max_orders": 5, "ordered_within_days": 90}),
        ("segment: tag vip, RFM at risk or lost", {"tags": ["vip"], "rfm_groups": ["at_risk", "lost"]}),
        ("segment: no order for 180 days", {"not_ordered_for_days": 180}),
    ]
    print(f"\n{'segment count (service, platform)':<40} {'p50':>9} {'p95':>9} {'members':>10}")
    with app.app_context():
        admin = db.session.execute(select(User).where(User.email == "bench-admin@example.test")).scalar_one()
        merchant = db.session.execute(select(User).where(User.email == "bench-merchant@example.test")).scalar_one()
        for label, rules in segments:
            found = count(rules, admin)
            times = timed(lambda rules=rules: count(rules, admin), args.requests, args.warmup)
            print(f"{label:<40} {pct(times, 50):9.1f} {pct(times, 95):9.1f} {found:>10,}")
        rules = segments[0][1]
        found = count(rules, merchant)
        times = timed(lambda: count(rules, merchant), args.requests, args.warmup)
        print(f"{'same first segment, merchant admin':<40} {pct(times, 50):9.1f} {pct(times, 95):9.1f} {found:>10,}")
        db.session.remove()


def main():
    args = parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"times in ms")
    for target in [t for t in ("sqlite", "postgresql") if args.database in (t, "both")]:
        with tempfile.TemporaryDirectory() as tmp:
            url = "sqlite:///" + os.path.join(tmp, "bench.db") if target == "sqlite" else bench_catalog.postgres_url()
            print(f"\n=== {make_url(url).get_backend_name()}")
            app = bench_catalog.build_portal(url, tmp)
            bench_orders.seed_catalog(app)
            seconds = bench_orders.seed_orders(app, args.orders)
            print(f"{args.orders:,} orders seeded in {seconds:.0f}s")
            seconds = seed_members(app, args.members)
            print(f"{args.members:,} members seeded and linked in {seconds:.0f}s")
            with app.app_context():
                db.session.remove()
                db.engine.dispose()  # the recompute's process has the database to itself
            measure_rfm(url, tmp)
            measure_pages(app, args)
            measure_counts(app, args)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"\nthis process (seeding, pages, counts): peak resident {rss:.0f} MiB")


if __name__ == "__main__":
    main()
