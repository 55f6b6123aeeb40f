"""Finance at scale (SQLite).

1. Import and auto-match an MT940 statement of 100,000 lines against
   1,000,000 receivables: time and peak memory (the import runs in a fresh
   process, so its peak resident size is its own); then 200,000 lines, to see
   how time grows with the lines.
2. A settlement run for 500 merchants (20 closed orders each).
3. The settlement statement PDF: time per page.

Prints figures; asserts nothing.

    .venv/bin/python bench/bench_finance.py [--receivables 1000000] [--lines 100000]
        [--merchants 500] [--orders-per-merchant 20]
"""
import argparse
import io
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sqlalchemy import insert, select  # noqa: E402

from plugins.finance.models import Account, CommissionRule, Receivable, Settlement  # noqa: E402
from portal import create_app  # noqa: E402
from portal.config import _engine_options  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Merchant  # noqa: E402
from portal_setup import build_portal  # noqa: E402

DAY0 = datetime(2026, 1, 5, 12, 0)
BATCH = 50_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--receivables", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--merchants", type=int, default=500)
    parser.add_argument("--orders-per-merchant", type=int, default=20)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args()


def open_portal(url, tmp):
    """The portal on a database already seeded (no schema reset)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url),
                       "SECRET_KEY": "bench", "INSTANCE_PATH": os.path.join(tmp, "instance"),
                       "FINANCE_STATEMENT_MAX_BYTES": 1 << 30})


def raw_insert(path, table, rows):
    """Bulk rows through sqlite3 itself, foreign keys off: the orders and
    payments behind seeded receivables are not what is measured."""
    if not rows:
        return
    columns = list(rows[0])

    def plain(value):
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return value
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                               [tuple(plain(row[c]) for c in columns) for row in rows])
    connection.close()


def seed_receivables(app, path, count, merchant_ids):
    """``count`` receivables, references R0000001..., amounts 10.00 to 999.99,
    one a minute from DAY0 (foreign keys off: the orders behind them are not
    what is measured)."""
    rng = random.Random(7)
    if True:
        for start in range(0, count, BATCH):
            rows = [{"payment_id": 10_000_000 + i, "order_id": 10_000_000 + i, "order_number": f"OB{i:09d}",
                     "merchant_id": merchant_ids[i % len(merchant_ids)], "channel": "bank_transfer",
                     "kind": "payment", "amount": Decimal(rng.randint(1000, 99999)) / 100, "currency": "CNY",
                     "reference": f"R{i:09d}", "due_on": DAY0 + timedelta(minutes=i // 20), "status": "unmatched",
                     "matched": 0, "created_at": DAY0}
                    for i in range(start, min(start + BATCH, count))]
            raw_insert(path, "finance_receivable", rows)


def statement_bytes(app, first, lines, ref):
    """An MT940 statement paying receivables ``first``..: 90 % by reference,
    5 % by amount only, 5 % unknown money."""
    with app.app_context():
        found = db.session.execute(select(Receivable.reference, Receivable.amount, Receivable.due_on)
                                   .where(Receivable.id > first).order_by(Receivable.id).limit(lines)).all()
    body = [f":20:{ref}", ":25:BENCH", ":28C:1/1", f":60F:C{found[0][2]:%y%m%d}CNY0,00"]
    total = Decimal(0)
    for n, (reference, amount, due_on) in enumerate(found):
        kind = n % 20
        if kind == 18:
            reference, text_ = "NONREF", "UNKNOWN PAYER"
        elif kind == 19:
            reference, text_ = "NONREF", f"TRANSFER {n}"
        else:
            text_ = f"PAYMENT {reference}"
        total += Decimal(amount)
        body.append(f":61:{due_on:%y%m%d%m%d}C{amount:.2f}NTRF{reference}".replace(".", ","))
        body.append(f":86:{text_}")
    body.append(f":62F:C{found[-1][2]:%y%m%d}CNY{total:.2f}".replace(".", ","))
    body.append("-")
    return "\n".join(body).encode()


def child_import(url, tmp, path, account_code):
    """Run in a fresh process: import one file, print time and peak memory."""
    app = open_portal(url, tmp)
    from plugins.finance.services import import_file
    with app.app_context():
        account = db.session.execute(select(Account).where(Account.code == account_code)).scalar_one()
        data = open(path, "rb").read()
        started = time.perf_counter()
        result = import_file(None, account, os.path.basename(path), data)
        db.session.commit()
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "stored": result.stored,
                      "matched": result.matched}))


def timed_import(url, tmp, app, first, lines, code):
    with app.app_context():
        db.session.add(Account(code=code, name=code, kind="bank", currency="CNY"))
        db.session.commit()
    path = os.path.join(tmp, f"{code}.sta")
    with open(path, "wb") as f:
        f.write(statement_bytes(app, first, lines, code))
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps([url, tmp, path, code])],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def seed_settlement(app, path, merchants, per_merchant):
    """Merchants with closed orders (one payment each) in the previous month."""
    with app.app_context():
        db.session.execute(insert(Merchant), [{"code": f"B{m:04d}", "name": f"Bench {m}", "legal_name": f"Bench {m}",
                                               "status": "active", "country": "CN", "default_currency": "CNY"}
                                              for m in range(merchants)])
        db.session.commit()
        ids = db.session.execute(select(Merchant.id).where(Merchant.code.like("B%"))).scalars().all()
        db.session.commit()  # no read snapshot open while sqlite3 writes beside the session
        orders, payments, n = [], [], 0
        for merchant_id in ids:
            for _k in range(per_merchant):
                n += 1
                placed = DAY0 + timedelta(hours=n % 400)
                orders.append({"id": n, "number": f"OS{n:09d}", "checkout_id": 1, "merchant_id": merchant_id,
                               "state": "closed", "currency": "CNY", "subtotal": Decimal("120.00"),
                               "adjustments_total": 0, "total": Decimal("120.00"), "placed_at": placed,
                               "paid_at": placed, "closed_at": placed + timedelta(days=2)})
                payments.append({"order_id": n, "merchant_id": merchant_id, "kind": "payment", "method": "alipay",
                                 "amount": Decimal("120.00"), "currency": "CNY", "paid_at": placed,
                                 "created_at": placed})
        raw_insert(path, "orders_order", orders)
        raw_insert(path, "orders_payment", payments)
        db.session.add(CommissionRule(name="Bench", percent=Decimal("5"), fixed=Decimal("0.50"),
                                      valid_from=DAY0.date() - timedelta(days=30)))
        db.session.commit()
        return ids


def main():
    args = parse_args()
    if args.child:
        child_import(*json.loads(args.child))
        return
    tmp = tempfile.mkdtemp(prefix="bench-finance-")
    path = os.path.join(tmp, "bench.db")
    url = f"sqlite:///{path}"
    app = build_portal(url, tmp, FINANCE_STATEMENT_MAX_BYTES=1 << 30)
    started = time.perf_counter()
    merchant_ids = seed_settlement(app, path, args.merchants, args.orders_per_merchant)
    seed_receivables(app, path, args.receivables, merchant_ids)
    print(f"seeded {args.receivables:,} receivables, {args.merchants} merchants in "
          f"{time.perf_counter() - started:.1f} s")

    one = timed_import(url, tmp, app, 0, args.lines, "BENCH1")
    print(f"import + auto-match {args.lines:,} lines against {args.receivables:,} receivables: "
          f"{one['seconds']:.1f} s, peak memory {one['peak_mb']:.0f} MB, {one['matched']:,} matched")
    two = timed_import(url, tmp, app, args.lines, 2 * args.lines, "BENCH2")
    print(f"import + auto-match {2 * args.lines:,} lines: {two['seconds']:.1f} s, peak memory "
          f"{two['peak_mb']:.0f} MB, {two['matched']:,} matched; x{two['seconds'] / one['seconds']:.2f} the time "
          f"for x2 the lines")

    from plugins.finance.documents import render_statement
    from plugins.finance.services.settlement import run_settlements
    with app.app_context():
        started = time.perf_counter()
        created = run_settlements(None, today=(DAY0 + timedelta(days=40)).date(), merchant_ids=merchant_ids)
        db.session.commit()
        print(f"settlement run for {len(merchant_ids)} merchants: {time.perf_counter() - started:.1f} s, "
              f"{len(created)} settlements")
        biggest = db.session.execute(select(Settlement).order_by(Settlement.id)).scalars().first()
        _statement_pages(biggest, render_statement)


def _statement_pages(settlement, render):
    from pypdf import PdfReader
    render(settlement)  # fonts loaded once, as in a running worker
    times = []
    for _i in range(3):
        started = time.perf_counter()
        pdf = render(settlement)
        times.append(time.perf_counter() - started)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    best = min(times)
    print(f"settlement statement PDF ({len(settlement.lines)} lines, {pages} pages): {best:.2f} s, "
          f"{best / pages:.2f} s per page")


if __name__ == "__main__":
    main()
