"""The inventory's demo data (``flask portal demo``): four warehouses (one run
by the platform for all of China, two of ACME's and one of PANDA's, each with
its regions and priority) and stock for every demo SKU in the warehouses that
may hold it, received under a delivery note. A few SKUs have a low-stock
threshold and stock at or below it, a few are damaged or on quality hold,
and, while the orders module is off, a few are locked for demo orders
(``DEMO-ORDER-0001`` ...); with it on, its demo orders reserve stock.

Everything goes through the inventory's services, so the ledger adds up
(``flask portal inventory check`` finds nothing) and each change is audited.
Runs after the catalog's demo (the inventory requires the catalog); a seeded
random generator gives the same stock on every run, and a second run adds
nothing once the demo warehouses exist.
"""
import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from plugins.catalog.models import Sku
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow
from portal.plugins import is_enabled

from .models import DAMAGED, QUALITY_HOLD, Warehouse
from .services import create_warehouse, increase, lock, move, set_policy

SEED = 20260502
# (code, merchant code or None for the platform, name, address, regions, priority)
WAREHOUSES = [
    ("CN-HUB", None, "Platform Central Warehouse Kunshan", "88 Qianjin Road, Kunshan, Jiangsu", ("CN", "HK"), 50),
    ("ACME-SH", "ACME", "Acme Shanghai Warehouse", "1200 Jiangchang Road, Jing'an, Shanghai",
     ("CN-SH", "CN-JS", "CN-ZJ", "CN-AH"), 10),
    ("ACME-GZ", "ACME", "Acme Guangzhou Warehouse", "36 Huangpu Avenue, Tianhe, Guangzhou",
     ("CN-GD", "CN-GX", "CN-FJ", "CN-HI"), 20),
    ("PANDA-BJ", "PANDA", "Panda Tea Beijing Warehouse", "5 Jiuxianqiao Road, Chaoyang, Beijing",
     ("CN-BJ", "CN-TJ", "CN-HE", "CN-SD"), 10),
]
LOW_PER_MERCHANT = 3
LOW_THRESHOLD = 10
WATCHED_THRESHOLD = 5
WATCHED_PER_MERCHANT = 4  # a threshold too, with plenty of stock: not listed as low
LOCKS = 8
DAMAGED_ROWS = 5
HELD_ROWS = 2
# the demo orders are paid and wait for shipment: their reservations hold
# for weeks, not for the minutes an unpaid order gets
LOCK_DAYS = 30


def load_demo(merchants, echo):
    """Create the demo warehouses and stock for every SKU of the demo
    ``merchants``; does nothing when the demo warehouses exist already."""
    codes = [w[0] for w in WAREHOUSES]
    if db.session.execute(select(Warehouse.id).where(Warehouse.code.in_(codes)).limit(1)).first() is not None:
        echo("Inventory: the demo warehouses exist already; no demo stock was added.")
        return None
    rng = random.Random(SEED)
    by_code = {m.code: m for m in merchants}
    warehouses = _warehouses(by_code)
    skus = db.session.execute(select(Sku.id, Sku.merchant_id).where(Sku.merchant_id.in_([m.id for m in merchants]))
                              .order_by(Sku.merchant_id, Sku.code)).all()
    stats = Counter(warehouses=len(warehouses))
    received = _receive(rng, skus, warehouses, stats)
    _reserve_and_damage(rng, received, stats)
    record("inventory.demo", target="demo", plugin="inventory", actor="demo", summary=dict(stats))
    echo(f"Inventory: {stats['warehouses']} warehouses, stock for {stats['skus']} SKUs in {stats['rows']} stock "
         f"rows, {stats['low']} SKUs at or below their low-stock threshold, {stats['locks']} live reservations, "
         f"{stats['damaged']} damaged and {stats['held']} held stock rows.")
    return stats


def _warehouses(by_code):
    """The demo warehouses whose merchant is among the demo merchants."""
    made = []
    for code, merchant_code, name, address, regions, priority in WAREHOUSES:
        merchant = by_code.get(merchant_code) if merchant_code else None
        if merchant_code and merchant is None:
            continue
        made.append(create_warehouse(None, merchant.id if merchant else None, {
            "code": code, "name": name, "address": address, "regions": regions, "priority": priority}))
    return made


def _receive(rng, skus, warehouses, stats):
    """Goods received for every SKU into one or two of the warehouses that may
    hold it (its merchant's or the platform's); a few SKUs get little stock and
    a low-stock threshold. Returns ``{(sku id, warehouse id): units}``."""
    by_merchant = {}
    for sku_id, merchant_id in skus:
        by_merchant.setdefault(merchant_id, []).append(sku_id)
    low, watched = set(), set()
    for merchant_skus in by_merchant.values():
        picked = rng.sample(merchant_skus, min(len(merchant_skus), LOW_PER_MERCHANT + WATCHED_PER_MERCHANT))
        low.update(picked[:LOW_PER_MERCHANT])
        watched.update(picked[LOW_PER_MERCHANT:])
    documents = {w.id: f"DEMO-GRN-{w.code}-0001" for w in warehouses}
    received = {}
    for sku_id, merchant_id in skus:
        allowed = [w for w in warehouses if w.merchant_id in (None, merchant_id)]
        if not allowed:
            continue
        if sku_id in low:
            chosen, quantities = [rng.choice(allowed)], [rng.randint(1, 6)]
        else:
            chosen = rng.sample(allowed, min(len(allowed), rng.choice((1, 1, 2))))
            quantities = [rng.randint(12, 150) for _ in chosen]
        for warehouse, qty in zip(chosen, quantities):
            increase(None, sku_id, warehouse.id, qty, documents[warehouse.id])
            received[(sku_id, warehouse.id)] = qty
        stats["skus"] += 1
        if sku_id in low or sku_id in watched:
            # a watched SKU's threshold stays below what it received (12 or more, less safety stock)
            set_policy(None, sku_id, safety_stock=0 if sku_id in low else 2,
                       low_stock_threshold=LOW_THRESHOLD if sku_id in low else WATCHED_THRESHOLD)
            stats["low" if sku_id in low else "watched"] += 1
    stats["rows"] = len(received)
    return received


def _reserve_and_damage(rng, received, stats):
    """Reservations for demo orders, and a few damaged and held units, on
    rows with enough stock that none of them turns low."""
    plenty = sorted(key for key, qty in received.items() if qty >= 40)
    chosen = rng.sample(plenty, min(len(plenty), LOCKS + DAMAGED_ROWS + HELD_ROWS))
    expires = utcnow() + timedelta(days=LOCK_DAYS)
    # with the orders module on, its demo orders reserve stock for real: a
    # reservation for an order that does not exist would be an anomaly there
    for number, (sku_id, warehouse_id) in enumerate(chosen[:LOCKS] if not is_enabled("orders") else [], start=1):
        lock(None, sku_id, warehouse_id, rng.randint(1, 3), f"DEMO-ORDER-{number:04d}", "1", expires_at=expires)
        stats["locks"] += 1
    for sku_id, warehouse_id in chosen[LOCKS:LOCKS + DAMAGED_ROWS]:
        move(None, sku_id, warehouse_id, rng.randint(1, 2), "sellable", DAMAGED, note="Crushed carton on arrival")
        stats["damaged"] += 1
    for sku_id, warehouse_id in chosen[LOCKS + DAMAGED_ROWS:]:
        move(None, sku_id, warehouse_id, rng.randint(2, 5), "sellable", QUALITY_HOLD, note="Awaiting quality check")
        stats["held"] += 1
