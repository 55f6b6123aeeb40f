"""The orders' demo data (``flask portal demo``): orders of the demo
merchants' shoppers over the last 120 days, placed, paid, shipped, received,
cancelled, taken to after-sales and closed through the orders' own services
at the times they happened, so their stock, payments and history are what
the portal would have recorded. Recent orders are still waiting for payment,
shipment or receipt; older ones are closed.

Runs after the inventory's demo (orders require it); a seeded random generator
gives the same orders each time, and a second run adds nothing once demo
orders exist.
"""
import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from plugins.catalog.models import SHELF_ON, Product, Sku
from plugins.inventory.services import InsufficientStock
from portal.extensions import db
from portal.models import utcnow

from .models import Checkout
from .services import OrdersError, cancel, close, place, receive, record_payment, request_after_sales, ship

SEED = 20261126
CHANNEL = "demo"
ORDERS = 2000
UNPAID = 8
TRIES = 5
DAYS = 120
CARRIERS = ("SF Express", "ZTO Express", "YTO Express", "JD Logistics", "EMS")
METHODS = ("alipay", "wechat_pay", "unionpay")
SHOPPERS = [
    ("Li Wei", "13800138001", "CN-SH", "Shanghai", "88 Nanjing West Road, Jing'an"),
    ("Wang Fang", "13800138002", "CN-GD", "Guangzhou", "12 Tianhe Road, Tianhe"),
    ("Zhang Min", "13800138003", "CN-BJ", "Beijing", "3 Jianguomen Avenue, Dongcheng"),
    ("Chen Jing", "13800138004", "CN-ZJ", "Hangzhou", "21 Wensan Road, Xihu"),
    ("Liu Yang", "13800138005", "CN-JS", "Nanjing", "9 Zhongshan Road, Gulou"),
    ("赵丽", "13800138006", "CN-SD", "济南", "历下区泉城路 66 号"),
    ("孙强", "13800138007", "CN-FJ", "厦门", "思明区中山路 8 号"),
    ("周婷", "13800138008", "CN-SH", "上海", "浦东新区世纪大道 100 号"),
]


def load_demo(merchants, echo):
    """Place the demo orders of the demo ``merchants``; nothing when demo
    orders exist already."""
    if db.session.execute(select(Checkout.id).where(Checkout.channel == CHANNEL).limit(1)).first() is not None:
        echo("Orders: demo orders exist already; none were added.")
        return
    rng = random.Random(SEED)
    skus = {m.id: db.session.execute(
        select(Sku.id).join(Product, Product.id == Sku.product_id)
        .where(Sku.merchant_id == m.id, Sku.active.is_(True), Product.shelf_status == SHELF_ON)
        .order_by(Sku.id)).scalars().all() for m in merchants}
    skus = {m: ids for m, ids in skus.items() if ids}
    if not skus:
        echo("Orders: no SKU on the shelf; no demo orders.")
        return
    now = utcnow()
    placed = {}
    count = current_app.config.get("ORDERS_DEMO_ORDERS", ORDERS)  # fewer for the test suite
    for number in range(count):
        # older orders first, so the timeline is the one the services would have seen; more of
        # them lately (a growing shop), so the recent states have their share
        age = timedelta(days=DAYS) * (1 - number / count) ** 2 + timedelta(minutes=rng.randint(0, 600))
        if number >= count - UNPAID:
            age = timedelta(minutes=rng.randint(1, 15))  # just placed: still waiting for payment
        # a shopper whose basket the stock cannot serve picks other goods
        outcome = next(filter(None, (_play(rng, skus, number, now - age, now) for _try in range(TRIES))), None)
        if outcome:
            placed[outcome] = placed.get(outcome, 0) + 1
    db.session.flush()
    echo("Orders: " + ", ".join(f"{count} {state}" for state, count in sorted(placed.items())) + ".")


def _play(rng, skus, number, at, now):
    """Place one checkout at ``at`` and take its orders as far as their age
    allows; the state the first order ends in, or None when the stock could
    not serve it."""
    merchant_id = rng.choice(sorted(skus))
    chosen = rng.sample(skus[merchant_id], min(len(skus[merchant_id]), rng.randint(1, 3)))
    name, phone, region, city, address = rng.choice(SHOPPERS)
    buyer = {"name": name, "phone": phone, "region": region, "city": city, "address": address}
    lines = [{"sku_id": sku_id, "qty": rng.randint(1, 2)} for sku_id in chosen]
    try:
        with db.session.begin_nested():
            checkout = place(None, CHANNEL, buyer, lines, customer_ref=f"DEMO-{number:05d}", now=at)
    except (OrdersError, InsufficientStock):
        return None
    for order in checkout.orders:
        _advance(rng, order, at, now, number)
    return checkout.orders[0].state


def _advance(rng, order, at, now, number):
    age, roll = now - at, rng.random()
    if age < timedelta(minutes=20):
        return  # waiting for payment: recent enough that the unpaid timer has not cancelled it
    if roll < 0.08:
        cancel(None, order, note="Buyer changed their mind.", now=at + timedelta(minutes=10))
        return
    paid_at = at + timedelta(minutes=rng.randint(1, 15))
    record_payment(None, order, rng.choice(METHODS), order.total, order.currency,
                   provider_ref=f"DEMO-PAY-{number:05d}-{order.id}", now=paid_at)
    if order.total == 0 or age < timedelta(days=1) or roll < 0.12:
        return  # paid, waiting for shipment
    shipped_at = paid_at + timedelta(hours=rng.randint(2, 30))
    ship(None, order, rng.choice(CARRIERS), f"DEMO{order.id:08d}{rng.randint(10, 99)}", now=shipped_at)
    if age < timedelta(days=4) or roll < 0.2:
        return  # on its way
    received_at = shipped_at + timedelta(days=rng.randint(1, 3))
    receive(None, order, now=received_at)
    if roll < 0.26:
        request_after_sales(None, order, note="The parcel arrived damaged.", now=received_at + timedelta(days=1))
        if age > timedelta(days=30):
            close(None, order, note="Settled with the buyer.", now=received_at + timedelta(days=6))
        return
    deadline = order.after_sales_deadline
    if deadline is not None and deadline < now:
        close(None, order, now=deadline + timedelta(minutes=5))
