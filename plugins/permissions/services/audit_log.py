"""Reading the audit log: filters, and a CSV export safe to open in a spreadsheet.

Merchant staff see only their merchant's rows (``scoped`` on ``merchant_id``).
"""
import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal import access
from portal.access import MANAGE, READ
from portal.audit import record
from portal.auth.services import find_by_email
from portal.extensions import db
from portal.models import AuditLog, Merchant

from .rules import PLUGIN

RESOURCE = "permissions.audit"
CSV_COLUMNS = ("at_utc", "actor", "ip", "plugin", "action", "target", "merchant", "summary")
# a cell starting with one of these is a formula to a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPORT_BATCH = 1000


@dataclass
class AuditFilters:
    """What the viewer narrows the log to; times are naive UTC, ``until`` exclusive."""

    actor: str = ""
    plugin: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def as_summary(self):
        """The filters that are set, for the export's audit row."""
        return {k: str(v) for k, v in self.__dict__.items() if v}


def audit_query(actor, filters):
    """A select of the audit rows the actor may read, newest first."""
    access.require(RESOURCE, READ, actor)
    query = access.scoped(select(AuditLog), AuditLog, READ, user=actor)
    who = (filters.actor or "").strip()
    if who:
        # an account's e-mail goes through the indexed user id; other names
        # (failed sign-ins, "system") match the recorded text
        user = find_by_email(who) if "@" in who else None
        query = query.where(AuditLog.user_id == user.id) if user else query.where(AuditLog.actor == who)
    if filters.plugin:
        query = query.where(AuditLog.plugin == filters.plugin)
    if filters.action:
        query = query.where(AuditLog.action.startswith(filters.action.strip(), autoescape=True))
    if filters.since:
        query = query.where(AuditLog.at >= filters.since)
    if filters.until:
        query = query.where(AuditLog.at < filters.until)
    return query.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def merchant_codes(rows):
    """``{merchant_id: code}`` for the merchants on a page of rows, in one query."""
    ids = {row.merchant_id for row in rows if row.merchant_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Merchant.id, Merchant.code).where(Merchant.id.in_(ids))).all())


def csv_safe(value):
    """A cell a spreadsheet shows as text: formulas get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def start_export(actor, filters):
    """Check the actor may export (manage) and record the export; returns the
    query to stream. The caller commits before streaming."""
    access.require(RESOURCE, MANAGE, actor)
    query = audit_query(actor, filters)
    record("audit.export", target="audit log", plugin=PLUGIN, actor=actor, merchant_id=actor.merchant_id,
           summary=filters.as_summary())
    return query


def csv_lines(query):
    """The CSV text of ``query``'s rows, a batch at a time (memory stays flat
    however long the log is)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    joined = query.add_columns(Merchant.code).outerjoin(Merchant, Merchant.id == AuditLog.merchant_id)
    for row, code in db.session.execute(joined.execution_options(yield_per=EXPORT_BATCH)):
        writer.writerow([csv_safe(v) for v in (row.at.isoformat(sep=" ", timespec="seconds"), row.actor, row.ip,
                                               row.plugin, row.action, row.target, code, row.summary)])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
