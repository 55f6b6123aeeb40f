"""The promotions' demo data (``flask portal demo``): for each demo merchant
a live rule of every kind on its own goods, and two platform rules; runs
after the orders' demo, so the demo orders keep the prices they were placed
at. A second run adds nothing once demo rules exist."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from plugins.catalog.models import Product, Sku
from portal.extensions import db
from portal.models import utcnow

from .models import Rule
from .services.coupons import generate_batch
from .services.rules import create_rule

PREFIX = "Demo: "


def _merchant_rules(merchant, skus):
    code = merchant.code.upper()
    first, last = skus[0], skus[-1]
    return [
        {"name": "Spend 200 save 20, 400 save 50", "kind": "tiers", "tiers": "200:20, 400:50", "priority": "10",
         "funder": "merchant"},
        {"name": "10% off this week", "kind": "percent", "percent": "10", "priority": "5", "scope": "sku",
         "targets": first.code, "funder": "split", "platform_share": "50", "max_discount": "100"},
        {"name": "30 off orders over 300", "kind": "amount", "amount": "30", "min_spend": "300", "priority": "3",
         "budget": "3000"},
        {"name": "3 items for 15% off", "kind": "n_items", "n": "3", "percent": "15", "priority": "2",
         "scope": "sku", "targets": " ".join(s.code for s in skus[:3])},
        {"name": "Buy 2 get 1 free", "kind": "buy_get", "buy": "2", "get": "1", "priority": "20", "exclusive": True,
         "scope": "sku", "targets": last.code, "usage_limit": "500"},
        {"name": "Lunch flash sale", "kind": "flash", "price": str(max((first.price * Decimal("0.8")).quantize(Decimal("0.01")), Decimal(1))),
         "sessions": "00:00-23:59", "priority": "30", "scope": "sku", "targets": first.code,
         "per_customer_limit": "2", "exclusive": True},
        {"name": f"Welcome coupon {code}", "kind": "coupon", "benefit": "amount", "amount": "15",
         "code": f"WELCOME-{code}", "min_spend": "99", "per_customer_limit": "1", "usage_limit": "1000",
         "priority": "1"},
    ]


def load_demo(merchants, echo):
    """Create the demo rules; nothing when they exist already."""
    if db.session.execute(select(Rule.id).where(Rule.name.startswith(PREFIX)).limit(1)).first() is not None:
        echo("Promotions: demo rules exist already; none were added.")
        return
    now = utcnow()
    count = 0
    for merchant in merchants:
        skus = db.session.execute(select(Sku).join(Product, Product.id == Sku.product_id).where(
            Sku.merchant_id == merchant.id, Sku.active.is_(True)).order_by(Sku.id).limit(5)).scalars().all()
        if not skus:
            continue
        for data in _merchant_rules(merchant, skus):
            rule = create_rule(None, {"scope": "store", "funder": "merchant", "merchant_id": merchant.id,
                                      "starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=30),
                                      **data, "name": PREFIX + data["name"]})
            count += 1
            if rule.kind == "coupon":
                generate_batch(None, rule, 20, prefix=merchant.code.upper()[:4])
    for data in ({"name": "Platform 5% off everything", "kind": "percent", "percent": "5", "priority": "0",
                  "funder": "platform", "budget": "20000", "max_discount": "50"},
                 {"name": "Platform anniversary coupon", "kind": "coupon", "benefit": "percent", "percent": "8",
                  "code": "ANNIV8", "usage_limit": "5000", "per_customer_limit": "1", "funder": "platform",
                  "priority": "1"}):
        create_rule(None, {"scope": "store", "starts_at": now - timedelta(days=1),
                           "ends_at": now + timedelta(days=60), **data, "name": PREFIX + data["name"]})
        count += 1
    db.session.flush()
    echo(f"Promotions: {count} demo rules.")
