"""Coupon batches: unique one-use codes generated for a coupon rule, and the
batch exported as CSV for the channel that hands them out."""
import csv
import io
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from portal import access
from portal.audit import record
from portal.extensions import db

from ..models import COUPON, CouponCode
from .errors import InvalidRule

COUPON_RESOURCE = "promotions.coupon"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed
MAX_BATCH = 10000


def generate_batch(actor, rule, count, prefix=""):
    """``count`` new unique codes for a coupon ``rule`` (one use each), under a
    batch name; returns the batch name. Audited."""
    if actor is not None:
        access.require(COUPON_RESOURCE, "write", actor)
        if access.record_level(COUPON_RESOURCE, rule, actor) < access.WRITE:
            raise access.AccessDenied(_("You need write access to the coupons of %(name)s.", name=rule.name))
    if rule.kind != COUPON:
        raise InvalidRule("count", _("Only a coupon rule has codes."))
    raw = str(count or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_BATCH:
        raise InvalidRule("count", _("%(value)r: enter how many codes, from 1 to %(max)s.", value=raw, max=MAX_BATCH))
    prefix = str(prefix or "").strip().upper()
    if prefix and (not prefix.isalnum() or not prefix.isascii() or len(prefix) > 10):
        raise InvalidRule("prefix", _("up to 10 letters or digits."))
    count = int(raw)
    batch = next_batch(rule)
    db.session.add_all(CouponCode(rule_id=rule.id, code=code, batch=batch, max_uses=1)
                       for code in sorted(fresh_codes(count, prefix)))
    db.session.flush()
    record("promotions.generate_codes", target=f"#{rule.id} {rule.name}", plugin="promotions",
           merchant_id=rule.merchant_id, actor=actor, summary={"batch": batch, "count": count})
    return batch


def next_batch(rule):
    """The name of the rule's next batch of codes: ``B<rule id>-<n>``."""
    earlier = db.session.execute(select(db.func.count(db.distinct(CouponCode.batch))).where(
        CouponCode.rule_id == rule.id, CouponCode.batch != "")).scalar()
    return f"B{rule.id}-{earlier + 1}"


def fresh_codes(count, prefix=""):
    """``count`` random codes no coupon uses yet (a set)."""
    made = set()
    while len(made) < count:
        wanted = count - len(made)
        fresh = {prefix + "".join(secrets.choice(ALPHABET) for _ in range(10)) for _ in range(wanted)} - made
        for chunk in _chunks(sorted(fresh), 1000):  # one IN list per thousand: databases cap bound parameters
            fresh -= set(db.session.execute(select(CouponCode.code).where(CouponCode.code.in_(chunk))).scalars())
        made |= fresh
    return made


def _chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def batches(rule):
    """``[(batch, codes, used)]`` of a rule's generated codes."""
    return db.session.execute(select(CouponCode.batch, db.func.count(), db.func.sum(CouponCode.used_count))
                              .where(CouponCode.rule_id == rule.id, CouponCode.batch != "")
                              .group_by(CouponCode.batch).order_by(CouponCode.batch)).all()


def export_batch(actor, rule, batch):
    """The batch's codes as CSV text (code, used); audited as an export."""
    if actor is not None and access.record_level(COUPON_RESOURCE, rule, actor) < access.MANAGE:
        raise access.AccessDenied(_("You need manage access to export the coupons of %(name)s.", name=rule.name))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "batch", "used"])
    rows = db.session.execute(select(CouponCode.code, CouponCode.used_count).where(
        CouponCode.rule_id == rule.id, CouponCode.batch == batch).order_by(CouponCode.code)).all()
    if not rows:
        raise InvalidRule("batch", _("Batch %(batch)s does not exist.", batch=batch))
    for code, used in rows:
        writer.writerow([code, batch, used])
    record("promotions.export_codes", target=f"#{rule.id} {rule.name}", plugin="promotions",
           merchant_id=rule.merchant_id, actor=actor, summary={"batch": batch, "count": len(rows)})
    return out.getvalue()
