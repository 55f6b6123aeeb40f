"""Segments: members selected by rules (level, money spent, number of orders,
days since the last order, region, tags, consent, RFM group), counted live
as the rules change and exported (consenting members only) as CSV. The
rules are data (JSON on ``Segment.rules``) turned into one SQL query, always
inside the user's data scope."""
import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal import access
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow

from ..models import Level, Member, Segment, Tag
from . import MembersError
from .rfm import GROUPS
from .scope import scoped_members

SEGMENT = "members.segment"
REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
EXPORT_COLUMNS = ("id", "customer_ref", "name", "phone", "email", "region", "level", "orders", "spent",
                  "last_order_at", "rfm_group")


class InvalidRules(MembersError):
    """Some rules cannot be read; ``errors`` maps each field to its message."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _int(raw, field, errors, high=10 ** 9):
    raw = str(raw or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > high:
        errors[field] = _("%(value)r is not a whole number from 0 to %(high)s.", value=raw, high=high)
        return None
    return int(raw)


def _money(raw, field, errors):
    raw = str(raw or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        errors[field] = _("%(value)r is not an amount (e.g. 199.00).", value=raw)
        return None
    return str(value)


def _list(raw):
    if isinstance(raw, (list, tuple)):
        items = raw
    else:
        items = str(raw or "").split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def parse_rules(form):
    """Rules from a form (a ``MultiDict`` or dict); ``InvalidRules`` naming each wrong field."""
    getlist = form.getlist if hasattr(form, "getlist") else (lambda k: form.get(k) or [])
    errors = {}
    rules = {
        "levels": [],
        "min_spent": _money(form.get("min_spent"), "min_spent", errors),
        "max_spent": _money(form.get("max_spent"), "max_spent", errors),
        "min_orders": _int(form.get("min_orders"), "min_orders", errors),
        "max_orders": _int(form.get("max_orders"), "max_orders", errors),
        "ordered_within_days": _int(form.get("ordered_within_days"), "ordered_within_days", errors, 36500),
        "not_ordered_for_days": _int(form.get("not_ordered_for_days"), "not_ordered_for_days", errors, 36500),
        "regions": [r.upper() for r in _list(form.get("regions"))],
        "tags": [t.lower() for t in _list(form.get("tags"))],
        "consent": form.get("consent") if form.get("consent") in ("yes", "no") else "",
        "rfm_groups": [g for g in getlist("rfm_groups") if g in GROUPS],
    }
    known = set(db.session.execute(select(Level.id)).scalars())
    for raw in getlist("levels"):
        if str(raw).isdigit() and int(raw) in known:
            rules["levels"].append(int(raw))
        else:
            errors["levels"] = _("%(value)r is not a level.", value=raw)
    bad = [r for r in rules["regions"] if not REGION.match(r)]
    if bad:
        errors["regions"] = _("%(value)s: use ISO codes such as CN or CN-GD, separated by commas.",
                              value=", ".join(bad))
    if errors:
        raise InvalidRules(errors)
    return {k: v for k, v in rules.items() if v not in (None, "", [])}


def apply_rules(query, rules, now=None):
    """Narrow a select over ``Member`` by the rules."""
    now = now or utcnow()
    query = query.where(Member.erased_at.is_(None))
    if rules.get("levels"):
        query = query.where(Member.level_id.in_(rules["levels"]))
    # spend as an expression: SQLite would otherwise skip-scan the (level, spend) index of the member
    # list for it and look up every row it finds, several times slower than reading the table
    spent = Member.total_spent + 0
    if rules.get("min_spent") is not None:
        query = query.where(spent >= Decimal(rules["min_spent"]))
    if rules.get("max_spent") is not None:
        query = query.where(spent <= Decimal(rules["max_spent"]))
    if rules.get("min_orders") is not None:
        query = query.where(Member.orders_count >= rules["min_orders"])
    if rules.get("max_orders") is not None:
        query = query.where(Member.orders_count <= rules["max_orders"])
    if rules.get("ordered_within_days") is not None:
        query = query.where(Member.last_order_at >= now - timedelta(days=rules["ordered_within_days"]))
    if rules.get("not_ordered_for_days") is not None:
        cutoff = now - timedelta(days=rules["not_ordered_for_days"])
        query = query.where(or_(Member.last_order_at.is_(None), Member.last_order_at < cutoff))
    if rules.get("regions"):
        query = query.where(or_(*[Member.region == r if "-" in r else Member.region.startswith(r + "-") |
                                  (Member.region == r) for r in rules["regions"]]))
    if rules.get("tags"):
        query = query.where(Member.id.in_(select(Tag.member_id).where(Tag.tag.in_(rules["tags"]))))
    if rules.get("consent"):
        query = query.where(Member.marketing_consent.is_(rules["consent"] == "yes"))
    if rules.get("rfm_groups"):
        query = query.where(Member.rfm_group.in_(rules["rfm_groups"]))
    return query


def count(rules, user=None):
    """How many members in the user's scope the rules select."""
    query = apply_rules(scoped_members(select(func.count()).select_from(Member), "read", user), rules)
    return db.session.execute(query).scalar()


def members_query(rules, user=None):
    """The members the rules select, in the user's scope, by id."""
    return apply_rules(scoped_members(select(Member), "read", user), rules).order_by(Member.id)


# -- saved segments ----------------------------------------------------------------

def scoped_segments(query, user=None):
    """Segments the user reaches: the platform's own for platform staff, a
    merchant's own for its staff."""
    merchant_id = getattr(access.access(user).user, "merchant_id", None)
    return query.where(Segment.merchant_id.is_(None) if merchant_id is None else Segment.merchant_id == merchant_id)


def rules_of(segment):
    return json.loads(segment.rules or "{}")


def save_segment(actor, name, rules, segment=None):
    """Create or change a segment (``members.segment`` write); audited."""
    access.require(SEGMENT, "write", actor)
    name = (name or "").strip()[:120]
    if not name:
        raise InvalidRules({"name": _("Give the segment a name.")})
    if segment is None:
        segment = Segment(merchant_id=getattr(actor, "merchant_id", None))
        db.session.add(segment)
    segment.name, segment.rules, segment.updated_at = name, json.dumps(rules, sort_keys=True), utcnow()
    db.session.flush()
    record("members.segment.save", target=f"segment {segment.id}", plugin="members", actor=actor,
           merchant_id=segment.merchant_id, summary={"name": name, "rules": rules})
    return segment


def delete_segment(actor, segment):
    """Remove a saved segment (its members are untouched); audited."""
    access.require(SEGMENT, "manage", actor)
    record("members.segment.delete", target=f"segment {segment.id}", plugin="members", actor=actor,
           merchant_id=segment.merchant_id, summary={"name": segment.name})
    db.session.delete(segment)
    db.session.flush()


def export_csv(actor, segment):
    """The segment's members who consented to marketing, as CSV text
    (``members.segment`` manage); audited with the number of rows."""
    access.require(SEGMENT, "manage", actor)
    rules = {**rules_of(segment), "consent": "yes"}
    levels = {lv.id: lv.code for lv in db.session.execute(select(Level)).scalars()}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    rows = 0
    for member in db.session.execute(members_query(rules, actor).execution_options(yield_per=1000)).scalars():
        writer.writerow([member.id, member.customer_ref, _safe(member.name), member.phone, member.email,
                         member.region, levels.get(member.level_id, ""), member.orders_count, member.total_spent,
                         member.last_order_at.isoformat() if member.last_order_at else "", member.rfm_group or ""])
        rows += 1
    record("members.segment.export", target=f"segment {segment.id}", plugin="members", actor=actor,
           merchant_id=getattr(actor, "merchant_id", None), summary={"rows": rows})
    return out.getvalue()


def _safe(value):
    """A cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
