"""Pricing a cart with promotions: a 20-line cart priced through the orders'
extension point (``orders_price_draft``) with 200 and then 2,000 live rules
of every kind. Most rules cover a SKU, product, category or brand; a few the
whole store. The engine reads only the rules whose scope names something in
the cart (the ``promotions_rule_target`` index), so the time follows the
rules that match the cart, not all live rules: the figures print both counts.

Prints p50/p95 per run; asserts nothing.

    .venv/bin/python bench/bench_promotions.py [--database sqlite|postgresql] [--rounds 200]

PostgreSQL: PORTAL_BENCH_DATABASE_URL, else the database portal_bench on the
local server. Every table in it is dropped first.
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


from plugins.catalog.models import Brand, Category, Product, Sku  # noqa: E402
from plugins.orders.services.pricing import Draft, DraftLine, price  # noqa: E402
from plugins.promotions.models import KINDS, Rule, RuleTarget  # noqa: E402
from plugins.promotions.services.pricing import candidate_rules, cart_of  # noqa: E402
from sqlalchemy import text  # noqa: E402

from portal.extensions import db  # noqa: E402
from portal.models import Merchant, utcnow  # noqa: E402
from portal_setup import build_portal  # noqa: E402

PRODUCTS, CATEGORIES, BRANDS, LINES = 2_000, 40, 30, 20
PARAMS = {"percent": {"percent": "5"}, "amount": {"amount": "3"}, "tiers": {"tiers": [["100", "5"], ["300", "20"]]},
          "n_items": {"n": 3, "percent": "10"}, "buy_get": {"buy": 2, "get": 1},
          "flash": {"price": "1", "sessions": [["00:00", "23:59"]]}, "coupon": {"benefit": "amount", "amount": "2"}}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--rounds", type=int, default=200)
    return parser.parse_args()


def database_url(choice, tmp):
    if choice == "sqlite":
        return f"sqlite:///{os.path.join(tmp, 'bench.db')}"
    return os.environ.get("PORTAL_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench")


def seed_catalog(rng):
    merchant = Merchant(code="BENCH", name="Bench merchant")
    db.session.add(merchant)
    roots = [Category(name_en=f"Root {i}") for i in range(4)]
    db.session.add_all(roots)
    db.session.flush()
    categories = []
    for i in range(CATEGORIES):
        parent = roots[i % 4]
        categories.append(Category(name_en=f"Leaf {i}", parent_id=parent.id, depth=1))
    db.session.add_all(categories)
    db.session.flush()
    for root in roots:
        root.path = f"/{root.id}/"
    for leaf in categories:
        leaf.path = f"/{leaf.parent_id}/{leaf.id}/"
    brands = [Brand(name_en=f"Brand {i}") for i in range(BRANDS)]
    db.session.add_all(brands)
    db.session.flush()
    skus = []
    for i in range(PRODUCTS):
        product = Product(merchant_id=merchant.id, category_id=rng.choice(categories).id,
                          brand_id=rng.choice(brands).id, title_en=f"Product {i}", shelf_status="on")
        skus.append(Sku(product=product, merchant_id=merchant.id, code=f"B{i:05d}",
                        price=Decimal(rng.randint(500, 20000)) / 100, currency="CNY"))
    db.session.add_all(skus)
    db.session.commit()
    return merchant, categories, brands, skus


def add_rules(rng, count, start_id, merchant_id, category_ids, brand_ids, sku_facts):
    now = utcnow()
    for number in range(start_id, start_id + count):
        kind = KINDS[number % len(KINDS)]
        roll = rng.random()
        if roll < 0.02:
            scope, targets = "store", [0]
        elif roll < 0.5:
            scope, targets = "sku", [sku for sku, _p in rng.sample(sku_facts, 3)]
        elif roll < 0.75:
            scope, targets = "product", [product for _s, product in rng.sample(sku_facts, 3)]
        elif roll < 0.9:
            scope, targets = "category", [rng.choice(category_ids)]
        else:
            scope, targets = "brand", [rng.choice(brand_ids)]
        rule = Rule(merchant_id=merchant_id, name=f"Rule {number}", kind=kind, params_json=json.dumps(PARAMS[kind]),
                    scope=scope, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
                    priority=rng.randint(0, 20), exclusive=rng.random() < 0.1, funder="merchant")
        rule.targets = [RuleTarget(kind=scope, ref_id=ref) for ref in sorted(set(targets))]
        db.session.add(rule)
    db.session.commit()
    # fresh statistics, as the server's autovacuum would gather after a bulk load: without them
    # PostgreSQL guesses one live rule and walks every rule instead of the scope index
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def draft_of(merchant, skus, rng):
    chosen = rng.sample(skus, LINES)
    lines = tuple(DraftLine(i, sku.id, sku.code, f"Product {sku.id}", rng.randint(1, 3), Decimal(sku.price), "CNY")
                  for i, sku in enumerate(chosen))
    return Draft(merchant.id, "CNY", lines, "CN-GD", "bench", "C-BENCH", ("NOSUCH",))


def measure(drafts, rounds):
    timings = []
    for number in range(rounds):
        draft = drafts[number % len(drafts)]
        started = time.perf_counter()
        price(draft)
        timings.append((time.perf_counter() - started) * 1000)
        db.session.remove()  # as at the end of a request: nothing stays loaded for the next one
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main():
    args = parse_args()
    rng = random.Random(20261126)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_portal(database_url(args.database, tmp), tmp)
        with app.app_context(), app.test_request_context():
            merchant, categories, brands, skus = seed_catalog(rng)
            drafts = [draft_of(merchant, skus, rng) for _ in range(20)]
            merchant_id, category_ids, brand_ids = merchant.id, [c.id for c in categories], [b.id for b in brands]
            sku_facts = [(s.id, s.product_id) for s in skus]
            db.session.remove()
            total = 0
            for live in (200, 2_000):
                add_rules(rng, live - total, total + 1, merchant_id, category_ids, brand_ids, sku_facts)
                db.session.remove()
                total = live
                matched = statistics.mean(len(candidate_rules(cart_of(d))) for d in drafts)
                measure(drafts, 10)  # warm caches
                p50, p95 = measure(drafts, args.rounds)
                print(f"{args.database}: {live:>5} live rules, {LINES}-line cart, {matched:.0f} rules match the cart "
                      f"on average: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
