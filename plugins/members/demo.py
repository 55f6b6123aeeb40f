"""The members' demo data (``flask portal demo``): a ladder of four levels,
the members the demo orders created (their levels set from their growth)
and more members, up to 5,000, who came with order figures from an earlier
system, spread across levels, regions, tags, consent and points; then the
RFM scores are computed, so every group has members. Runs after the orders'
demo; a second run adds nothing."""
import random
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, insert, select

from portal.extensions import db
from portal.models import utcnow

from .models import ADJUST, Level, Member, MemberMerchant, PointsEntry, Tag
from .services.rfm import recompute

SEED = 20261127
MEMBERS = 5000
CHANNEL = "shop"
LEVELS = [("bronze", "Bronze", 0, "0", False, "1"), ("silver", "Silver", 1000, "2", False, "1.2"),
          ("gold", "Gold", 5000, "5", True, "1.5"), ("platinum", "Platinum", 20000, "8", True, "2")]
REGIONS = ("CN-SH", "CN-BJ", "CN-GD", "CN-ZJ", "CN-JS", "CN-SD", "CN-FJ", "CN-SC", "HK")
TAGS = ("vip", "wholesale", "newsletter", "tea lover", "gift buyer")
SURNAMES = ("Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou")
GIVEN = ("Wei", "Fang", "Min", "Jing", "Yang", "Lei", "Na", "Qiang", "Ting", "Hao")


def load_demo(merchants, echo):
    """The ladder and up to ``MEMBERS`` members; nothing when the ladder exists."""
    if db.session.execute(select(Level.id).limit(1)).first() is not None:
        echo("Members: levels exist already; no demo members were added.")
        return
    levels = [Level(code=c, name=n, threshold=t, discount_percent=Decimal(d), free_shipping=f,
                    points_multiplier=Decimal(m)) for c, n, t, d, f, m in LEVELS]
    db.session.add_all(levels)
    db.session.flush()
    _place_existing(levels)
    have = db.session.execute(select(func.count()).select_from(Member)).scalar()
    wanted = max(0, current_app.config.get("MEMBERS_DEMO_MEMBERS", MEMBERS) - have)
    _add_members(random.Random(SEED), wanted, levels, [m.id for m in merchants])
    recompute()
    groups = dict(db.session.execute(select(Member.rfm_group, func.count()).group_by(Member.rfm_group)).all())
    echo(f"Members: {have + wanted} members, {len(levels)} levels; RFM groups: "
         + ", ".join(f"{n} {g}" for g, n in sorted(groups.items(), key=lambda kv: str(kv[0])) if g) + ".")


def _place_existing(levels):
    """Members the demo orders made before the ladder existed get the level their growth reaches."""
    for level in levels:
        db.session.execute(Member.__table__.update().where(Member.growth >= level.threshold).values(level_id=level.id))


def _add_members(rng, count, levels, merchant_ids):
    now = utcnow()
    first_id = (db.session.execute(select(func.max(Member.id))).scalar() or 0) + 1
    members, tags, entries, links = [], [], [], []
    for i in range(count):
        member_id = first_id + i
        orders = rng.choice((1, 1, 1, 2, 2, 3, 4, 6, 9, 14))
        spent = Decimal(rng.randint(30, 900) * orders) + Decimal(rng.randint(0, 99)) / 100
        last = now - timedelta(days=rng.choice((2, 10, 30, 60, 120, 200, 300, 420)) + rng.randint(0, 20))
        rung = rng.choices(range(len(levels)), weights=(50, 30, 15, 5))[0]
        level = levels[rung]
        ceiling = levels[rung + 1].threshold if rung + 1 < len(levels) else level.threshold * 2
        growth = rng.randint(level.threshold, ceiling - 1)  # this year's growth so far keeps the level
        points = rng.choice((0, 0, 50, 120, 300, 800, 1500))
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
        members.append({"id": member_id, "channel": CHANNEL, "customer_ref": f"SHOP-{member_id:06d}", "name": name,
                        "phone": f"139{rng.randint(0, 99999999):08d}",
                        "email": f"{name.lower().replace(' ', '.')}{member_id}@example.test",
                        "region": rng.choice(REGIONS), "notes": "", "marketing_consent": rng.random() < 0.6,
                        "level_id": level.id, "growth": growth, "review_due_at": now + timedelta(days=rng.randint(1, 365)),
                        "points_balance": points, "orders_count": orders, "total_spent": spent,
                        "first_order_at": last - timedelta(days=30 * (orders - 1)), "last_order_at": last,
                        "created_at": last - timedelta(days=30 * orders), "updated_at": now})
        if rng.random() < 0.4:
            tags.append({"member_id": member_id, "tag": rng.choice(TAGS)})
        if points:
            entries.append({"member_id": member_id, "kind": ADJUST, "points": points, "balance_after": points,
                            "reason": "Opening balance from the earlier system", "actor": "demo",
                            "created_at": now})
        if merchant_ids:
            links.append({"member_id": member_id, "merchant_id": rng.choice(merchant_ids)})
    for model, rows in ((Member, members), (Tag, tags), (PointsEntry, entries), (MemberMerchant, links)):
        if rows:
            db.session.execute(insert(model.__table__), rows)
    db.session.flush()
