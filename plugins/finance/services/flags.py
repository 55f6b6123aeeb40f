"""Mismatch flags: raised once per mismatch (a ``key`` names it), then
explained or resolved by a person with a reason."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from portal import settings
from portal.extensions import db
from portal.models import utcnow

from ..models import FLAG_STATUSES, MATCHED, NOT_RECEIVED, OPEN, RESOLVED, UNMATCHED, Flag, Receivable
from .core import FinanceError, audit, guard

MAX_REASON = 500


def raise_flag(kind, key, detail, line=None, receivable=None, statement=None, order_number=""):
    """The flag named ``key``, created when new; an existing one (whatever its
    status) is returned unchanged, so raising again is harmless."""
    existing = db.session.execute(select(Flag).where(Flag.key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    flag = Flag(key=key, kind=kind, detail=detail[:500], line=line, receivable=receivable, statement=statement,
                order_number=order_number or (receivable.order_number if receivable is not None else ""))
    db.session.add(flag)
    return flag


def set_status(actor, flag, status, reason):
    """Mark a flag explained, resolved or open again; a reason is required
    for explained and resolved."""
    guard(actor, "write")
    reason = (reason or "").strip()
    if status not in FLAG_STATUSES:
        raise FinanceError(_("Status: choose open, explained or resolved."))
    if status != OPEN and not reason:
        raise FinanceError(_("Reason: say why the mismatch is %(status)s.", status=_(FLAG_STATUSES[status])))
    if len(reason) > MAX_REASON:
        raise FinanceError(_("Reason: at most %(n)s characters.", n=MAX_REASON))
    before = flag.status
    flag.status, flag.reason = status, reason
    flag.updated_at, flag.updated_by_id = utcnow(), getattr(actor, "id", None)
    audit("flag_status", actor, f"flag:{flag.id}", kind=flag.kind, before=before, after=status, reason=reason)
    return flag


def check_unreceived(now=None):
    """The scheduled check: a payment older than the set number of days with
    no statement line is flagged; an open flag whose payment has since been
    matched is resolved. Returns what it did, for the job's log."""
    now = now or utcnow()
    raised = resolved = 0
    for receivable in _overdue(now):
        key = f"{NOT_RECEIVED}:{receivable.id}"
        if db.session.execute(select(Flag.id).where(Flag.key == key)).first() is None:
            raise_flag(NOT_RECEIVED, key, _("%(order)s: %(amount)s %(currency)s paid by %(channel)s on %(day)s has "
                                            "no statement line.", order=receivable.order_number,
                                            amount=receivable.amount, currency=receivable.currency,
                                            channel=receivable.channel, day=receivable.due_on.date()),
                       receivable=receivable)
            raised += 1
    stale = (select(Flag).join(Receivable, Flag.receivable_id == Receivable.id)
             .where(Flag.kind == NOT_RECEIVED, Flag.status == OPEN, Receivable.status == MATCHED))
    for flag in db.session.execute(stale).scalars():
        flag.status, flag.reason, flag.updated_at = RESOLVED, _("A statement line was matched."), now
        resolved += 1
    return raised, resolved


def _overdue(now):
    days = settings.get("finance.receipt_days")
    bank_cutoff = now - timedelta(days=days)
    query = (select(Receivable)
             .where(Receivable.status == UNMATCHED, Receivable.kind == "payment", Receivable.due_on < bank_cutoff)
             .order_by(Receivable.id).limit(5000))
    return db.session.execute(query).scalars().all()
