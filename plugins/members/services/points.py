"""Points: an append-only ledger (``PointsEntry``) beside a balance on the
member, both written in one transaction. Every change of the balance is one
conditional UPDATE (``balance + n >= 0``), so concurrent spending on several
processes or hosts can never take it below zero: the loser's UPDATE matches
no row and it is refused with ``InsufficientPoints``.

Points last until the end of the year after the one they were earned in;
spending uses the oldest first, so what expires at a year's end is what is
left of the balance beyond the points received since the start of last year.
"""
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm.util import identity_key

from portal import access, settings
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow
from portal.money import minor_unit

from ..models import ADJUST, EXPIRE, Member, PointsEntry
from . import MembersError

POINTS = "members.points"
MAX_ADJUST = 10_000_000


class InsufficientPoints(MembersError):
    """The balance does not cover what is taken."""

    def __init__(self, member_id, wanted, balance):
        super().__init__(_("The member has %(balance)s points; %(wanted)s cannot be taken.",
                           balance=balance, wanted=wanted))
        self.member_id, self.wanted, self.balance = member_id, wanted, balance


def points_enabled(merchant_id):
    """Does this merchant's store give and take points?"""
    return bool(settings.get("members.points_enabled", merchant_id))


def change_balance(member_id, points, kind, reason="", order_id=None, actor="system", now=None):
    """Add ``points`` (negative: take) to the balance and write the ledger
    entry; ``InsufficientPoints`` when the balance would go below zero.
    Returns the entry."""
    now = now or utcnow()
    table = Member.__table__
    result = db.session.execute(update(table).where(and_(table.c.id == member_id,
                                                         table.c.points_balance + points >= 0))
                                .values(points_balance=table.c.points_balance + points))
    if result.rowcount != 1:
        balance = db.session.execute(select(table.c.points_balance).where(table.c.id == member_id)).scalar()
        raise InsufficientPoints(member_id, -points, balance or 0)
    # the row is ours until the transaction ends, so this is the balance the update left
    balance = db.session.execute(select(table.c.points_balance).where(table.c.id == member_id)).scalar()
    entry = PointsEntry(member_id=member_id, kind=kind, points=points, balance_after=balance, order_id=order_id,
                        reason=reason[:300], actor=actor[:120], created_at=now)
    db.session.add(entry)
    member = db.session.identity_map.get(identity_key(Member, member_id))
    if member is not None:  # a loaded profile shows the new balance
        db.session.expire(member, ["points_balance"])
    db.session.flush()
    return entry


def adjust(actor, member, points, reason, now=None):
    """Staff add or take points with a reason (``members.points`` write); audited."""
    access.require(POINTS, "write", actor)
    try:
        points = int(str(points).strip())
    except ValueError:
        raise MembersError(_("Points: %(value)r is not a whole number.", value=points)) from None
    reason = (reason or "").strip()
    if points == 0 or abs(points) > MAX_ADJUST:
        raise MembersError(_("Points: give a whole number other than 0, at most %(n)s either way.", n=MAX_ADJUST))
    if not reason:
        raise MembersError(_("Give the reason for the adjustment."))
    entry = change_balance(member.id, points, ADJUST, reason, actor=getattr(actor, "email", "system"), now=now)
    db.session.refresh(member)
    record("members.points.adjust", target=f"member {member.id}", plugin="members", actor=actor,
           merchant_id=getattr(actor, "merchant_id", None), summary={"points": points, "reason": reason})
    return entry


def earned_for(total, multiplier):
    """Points a completed order of ``total`` earns at the level's multiplier."""
    rate = Decimal(str(settings.get("members.points_earn_per_unit")))
    return int((Decimal(total) * rate * Decimal(multiplier)).to_integral_value(ROUND_DOWN))


def value_of(points, currency):
    """The money ``points`` pay for, rounded down to the currency's minor unit."""
    per_unit = settings.get("members.points_value")
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    return (Decimal(points) / per_unit).quantize(exponent, ROUND_DOWN)


def points_for(amount):
    """The points an amount paid with points costs (rounded up: the buyer
    never pays less than the points are worth)."""
    per_unit = settings.get("members.points_value")
    return int((Decimal(amount) * per_unit).to_integral_value(ROUND_CEILING))


def expire_points(now=None):
    """Expire what each member holds beyond the points received since the
    start of last year (the job runs daily; a second run finds nothing).
    Set-based: one statement computes every member's expiring points."""
    now = now or utcnow()
    cutoff = datetime(now.year - 1, 1, 1)
    recent = (select(func.coalesce(func.sum(PointsEntry.points), 0))
              .where(PointsEntry.member_id == Member.id, PointsEntry.points > 0, PointsEntry.created_at >= cutoff)
              .correlate(Member).scalar_subquery())
    due = db.session.execute(select(Member.id, Member.points_balance - recent)
                             .where(Member.points_balance > 0, Member.points_balance - recent > 0)).all()
    for member_id, points in due:
        change_balance(member_id, -int(points), EXPIRE, _("Points earned before %(year)s", year=now.year - 1),
                       now=now)
    db.session.commit()
    return f"{len(due)} members, {sum(int(p) for _m, p in due)} points expired"
