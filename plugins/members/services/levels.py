"""Levels: growth earned from completed orders (one point of growth per whole
unit of the order's total, taken back on refunds) moves a member up at once
when it reaches a higher threshold; a yearly review, one year after the
member joined and every year after, sets the level the growth of that year
reaches (which can be lower) and starts the next year's growth from zero."""
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, select, update

from portal import access
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow

from ..models import REVIEW, STAFF, UPGRADE, Level, LevelChange, Member
from . import MembersError

YEAR = timedelta(days=365)
LEVEL_RESOURCE = "members.member"


def ladder():
    """Every level, lowest threshold first."""
    return db.session.execute(select(Level).order_by(Level.threshold)).scalars().all()


def entry_level():
    """The level a new member starts at: the lowest threshold's (None without levels)."""
    return db.session.execute(select(Level).order_by(Level.threshold).limit(1)).scalar_one_or_none()


def level_for(growth, levels=None):
    """The highest level whose threshold ``growth`` reaches."""
    best = None
    for level in levels if levels is not None else ladder():
        if level.threshold <= growth:
            best = level
    return best


def growth_of(amount):
    """Growth for an amount of money: its whole units."""
    return max(0, int(Decimal(amount)))


def _change(member, to_level, reason, actor="system", now=None):
    db.session.add(LevelChange(member_id=member.id, from_level_id=member.level_id,
                               to_level_id=to_level.id if to_level else None, reason=reason, growth=member.growth,
                               actor=actor, created_at=now or utcnow()))
    member.level = to_level


def add_growth(member, amount, now=None):
    """Add (or, negative, take back) growth; never below zero. Moves the member
    up at once when a higher level is reached; never down (the review does)."""
    member.growth = max(0, member.growth + amount)
    target = level_for(member.growth)
    current = member.level.threshold if member.level else -1
    if target is not None and target.threshold > current:
        _change(member, target, UPGRADE, now=now)


def set_level(actor, member, level, now=None):
    """Staff set a member's level by hand (``members.member`` manage); audited."""
    access.require(LEVEL_RESOURCE, "manage", actor)
    if level is None or member.level_id == level.id:
        return member
    _change(member, level, STAFF, actor=getattr(actor, "email", "system"), now=now)
    record("members.level.set", target=f"member {member.id}", plugin="members", actor=actor,
           merchant_id=getattr(actor, "merchant_id", None), summary={"level": level.code})
    return member


def review_levels(now=None):
    """The yearly review of every member whose year is up: the level its year's
    growth reaches (up or down), recorded in the history when it changes;
    then growth starts again from zero for the next year. Set-based: one
    pass per level, so a million members take a few statements."""
    now = now or utcnow()
    levels = ladder()
    if not levels:
        return "no levels"
    changed = 0
    for i, level in enumerate(levels):
        upper = levels[i + 1].threshold if i + 1 < len(levels) else None
        band = [Member.review_due_at <= now, Member.growth >= level.threshold, Member.erased_at.is_(None)]
        if upper is not None:
            band.append(Member.growth < upper)
        moving = and_(*band, (Member.level_id.is_(None)) | (Member.level_id != level.id))
        db.session.execute(LevelChange.__table__.insert().from_select(
            ["member_id", "from_level_id", "to_level_id", "reason", "growth", "actor", "created_at"],
            select(Member.id, Member.level_id, db.literal(level.id), db.literal(REVIEW), Member.growth,
                   db.literal("system"), db.literal(now)).where(moving)))
        changed += db.session.execute(update(Member).where(moving).values(level_id=level.id),
                                      execution_options={"synchronize_session": False}).rowcount
    # members whose growth reaches no level at all keep the lowest
    reviewed = db.session.execute(update(Member).where(Member.review_due_at <= now).values(
        growth=0, review_due_at=now + YEAR), execution_options={"synchronize_session": False}
    ).rowcount
    db.session.commit()
    return f"{reviewed} reviewed, {changed} changed level"


# -- configuring the ladder ----------------------------------------------------------------

def _number(data, field, kind, low, high, default=None):
    raw = str(data.get(field) if data.get(field) is not None else (default if default is not None else "")).strip()
    try:
        value = kind(raw)
    except (ValueError, InvalidOperation):
        raise MembersError(_("%(field)s: %(value)r is not a number.", field=field, value=raw)) from None
    if not (low <= value <= high) or (isinstance(value, Decimal) and not value.is_finite()):
        raise MembersError(_("%(field)s: must be between %(low)s and %(high)s.", field=field, low=low, high=high))
    return value


def _platform_only(actor):
    """The ladder is the platform's: a merchant's staff cannot change it."""
    access.require(LEVEL_RESOURCE, "manage", actor)
    if getattr(actor, "merchant_id", None) is not None:
        raise access.AccessDenied(_("Levels are set by the platform."))


def save_level(actor, data, level=None):
    """Create or change a level (platform staff with ``members.member``
    manage): code, name, growth threshold (unique), discount percent, free
    shipping, points multiplier. Audited."""
    _platform_only(actor)
    code = str(data.get("code") or "").strip().lower()[:32]
    name = str(data.get("name") or "").strip()[:80]
    if not code or not name:
        raise MembersError(_("A level needs a code and a name."))
    fields = {"code": code, "name": name,
              "threshold": _number(data, "threshold", int, 0, 10 ** 9),
              "discount_percent": _number(data, "discount_percent", Decimal, 0, 100, "0"),
              "points_multiplier": _number(data, "points_multiplier", Decimal, 0, 100, "1"),
              "free_shipping": str(data.get("free_shipping") or "").lower() in ("1", "on", "true", "yes")}
    for column, message in (("code", _("The code %(value)s is taken by another level.")),
                            ("threshold", _("Another level starts at %(value)s growth already."))):
        clash = db.session.execute(select(Level.id).where(getattr(Level, column) == fields[column])).scalar()
        if clash is not None and (level is None or clash != level.id):
            raise MembersError(message % {"value": fields[column]})
    if level is None:
        level = Level()
        db.session.add(level)
    for key, value in fields.items():
        setattr(level, key, value)
    db.session.flush()
    record("members.level.save", target=code, plugin="members", actor=actor,
           summary={k: str(v) for k, v in fields.items()})
    return level


def delete_level(actor, level):
    """Remove a level no member holds and no history names."""
    _platform_only(actor)
    held = db.session.execute(select(Member.id).where(Member.level_id == level.id).limit(1)).first()
    named = db.session.execute(select(LevelChange.id).where(
        (LevelChange.from_level_id == level.id) | (LevelChange.to_level_id == level.id)).limit(1)).first()
    if held or named:
        raise MembersError(_("Members hold or held the level %(name)s; it cannot be removed.", name=level.name))
    record("members.level.delete", target=level.code, plugin="members", actor=actor)
    db.session.delete(level)
    db.session.flush()
