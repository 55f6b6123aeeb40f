"""Tracking events from a spreadsheet (CSV in UTF-8 or XLSX): upload,
preview (every row's shipment and every problem with its row and column),
apply all rows or none. Tracking numbers are looked up within the import's
merchant only, so another merchant's parcel is an unknown one."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from plugins.catalog.services.imports import open_table
from plugins.catalog.services.sheets import SheetError
from plugins.orders.models import SHIPMENT_SHIPPED, Shipment
from plugins.orders.services import OrdersError
from portal import access
from portal import imports as sheets
from portal.events import EventRejected
from portal.extensions import db
from portal.i18n import N_
from portal.imports import RowError
from portal.models import Merchant

from .core import SHIPMENT, audit
from .errors import InvalidValue, LogisticsError
from .tracking import add_event, clean_status, parse_time

KIND = "logistics.tracking_import"
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
COLUMNS = (
    ("tracking_number", True, N_("The shipment's tracking number.")),
    ("status", True, N_("accepted, in_transit, out_for_delivery, delivered, exception or returned.")),
    ("time", True, N_("When it happened, in UTC: 2026-05-01 14:30 (or ISO 8601 with an offset).")),
    ("location", False, N_("Where it happened.")),
    ("description", False, N_("What the carrier says.")),
)


class ImportRefused(LogisticsError):
    """The file cannot be taken at all (too large, not UTF-8, no header, ...)."""


class ImportFailed(LogisticsError):
    """Rows have problems; nothing was recorded. ``plan.issues`` lists them."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(_("%(n)s problem(s); nothing was recorded. First: %(first)s", n=len(plan.issues),
                           first=plan.issues[0]))


@dataclass
class EventRow:
    line: int
    cells: dict
    shipment: Shipment = None


@dataclass
class EventPlan:
    merchant: Merchant
    rows: list = field(default_factory=list)
    issues: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def issue(self, line, column, message):
        self.issues.append(RowError(line, column, message))


def import_merchant(actor, merchant_id):
    """Merchant staff import for their own merchant; platform staff choose one they may track for."""
    return sheets.import_merchant(actor, merchant_id, SHIPMENT, ImportRefused,
                                  _("Merchant: choose the merchant whose shipments are tracked."),
                                  lambda code: _("Merchant: you cannot track %(code)s's shipments.", code=code))


def merchants_for(actor):
    """The merchants a platform user may import tracking for."""
    return sheets.writable_merchants(actor, SHIPMENT)


def size_label():
    return sheets.size_label(MAX_BYTES)


def too_large_message(name):
    return _("%(name)s is larger than %(size)s, the limit for one tracking import; split it into smaller files.",
             name=name or _("The file"), size=size_label())


def _empty_message(name):
    return _("%(name)s is empty; its first row must name the columns tracking_number, status and time.", name=name)


def store_file(actor, file_storage, merchant_id):
    """Keep an uploaded file for ``check_events`` (flushed; the caller commits)."""
    merchant = import_merchant(actor, merchant_id)
    return sheets.store_sheet(actor, file_storage, KIND, merchant.id, MAX_BYTES, ImportRefused, too_large_message,
                              _empty_message)


def stored_file(actor, file_id):
    """The stored tracking file ``actor`` uploaded, or None."""
    return sheets.uploaded_sheet(actor, file_id, KIND)


def _read(stored, plan):
    try:
        table, close = open_table(stored)
    except (SheetError, OSError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{stored.original_name}: {exc}") from None
    try:
        index = {cell.strip().lower(): i for i, cell in enumerate(table.header) if cell.strip()}
        missing = [name for name, required, _help in COLUMNS if required and name not in index]
        if missing:
            raise ImportRefused(_("The first row must name the columns tracking_number, status and time; missing: "
                                  "%(names)s.", names=", ".join(missing)))
        for line, cells in table.rows():
            if len(plan.rows) >= MAX_ROWS:
                raise ImportRefused(_("The file has more than %(max)s rows; split it into smaller files.",
                                      max=f"{MAX_ROWS:,}"))
            plan.rows.append(EventRow(line, {name: (cells[index[name]].strip() if name in index
                                                    and index[name] < len(cells) else "")
                                             for name, _r, _h in COLUMNS}))
    except (SheetError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{stored.original_name}: {exc}") from None
    finally:
        close()


def check_events(actor, stored):
    """Read and check a stored file; the ``EventPlan`` with every problem. Writes nothing."""
    merchant = import_merchant(actor, stored.merchant_id)
    plan = EventPlan(merchant)
    _read(stored, plan)
    if not plan.rows:
        raise ImportRefused(_("%(name)s has no rows below its header; add a row per tracking event.",
                              name=stored.original_name))
    numbers = {r.cells["tracking_number"] for r in plan.rows if r.cells["tracking_number"]}
    shipments = {}
    for shipment in db.session.execute(select(Shipment).where(
            Shipment.merchant_id == merchant.id, Shipment.status == SHIPMENT_SHIPPED,
            Shipment.tracking_number.in_(numbers)).order_by(Shipment.id)).scalars():
        shipments.setdefault(shipment.tracking_number, shipment)
    for row in plan.rows:
        number = row.cells["tracking_number"]
        row.shipment = shipments.get(number)
        if row.shipment is None:
            plan.issue(row.line, "tracking_number", _("no shipped shipment of %(merchant)s has tracking number "
                                                      "%(number)s.", merchant=merchant.code, number=number or "—"))
        for column, check in (("status", clean_status), ("time", parse_time)):
            try:
                check(row.cells[column], column)
            except InvalidValue as exc:
                plan.issue(row.line, column, exc.problem)
    return plan


def apply_events(actor, stored):
    """Check again and record every row, all or none (the caller commits)."""
    plan = check_events(actor, stored)
    if plan.issues:
        raise ImportFailed(plan)
    with db.session.begin_nested():
        for row in sorted(plan.rows, key=lambda r: parse_time(r.cells["time"], "time")):
            data = {"status": row.cells["status"], "occurred_at": row.cells["time"],
                    "location": row.cells["location"], "description": row.cells["description"]}
            try:
                add_event(actor, row.shipment, data, "import")
            except (LogisticsError, OrdersError, EventRejected, access.AccessDenied) as exc:
                plan.issue(row.line, "", str(exc))
                raise ImportFailed(plan) from exc
        audit("tracking_import", actor, f"file {stored.id}", plan.merchant.id, file=stored.original_name,
              rows=len(plan.rows))
    return plan
