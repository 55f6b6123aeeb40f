"""Batch shipping from a spreadsheet of tracking numbers: upload, preview,
apply (all rows or none). Built like the inventory's stock-count import.

1. ``store_ship_file``: the upload (CSV in UTF-8, with or without a BOM, or an
   Excel workbook) is checked and kept through ``portal.uploads``; the size is
   limited before the rest is read.
2. ``check_shipments``: every row is read and checked against the merchant's
   orders, their states and pending shipments and the user's scopes; the
   ``ShipPlan`` lists each row with the order's state and what the row will
   do, and every problem naming its row and column. Nothing is written.
3. ``apply_shipments``: the same check again, then one ``lifecycle.ship`` per
   row inside one savepoint: a row refused at that moment (a reservation
   released since the preview, an event handler's refusal) undoes every row
   before it, and the plan names the row.

Order numbers are looked up within the import's merchant only, so another
merchant's order is an unknown order.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from plugins.catalog.services.imports import open_table
from plugins.catalog.services.sheets import SheetError
from plugins.inventory.services import InventoryError
from portal import access
from portal.audit import record
from portal.events import EventRejected
from portal.extensions import db
from portal.i18n import N_
from portal import imports as sheets
from portal.imports import RowError
from portal.models import Merchant

from ..models import PENDING_SHIPMENT, SHIPMENT_PENDING, Order, Shipment
from .core import ORDER, reach
from .errors import OrderNotFound, OrdersError, state_label
from .lifecycle import ship

KIND = "orders.ship_import"
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2_000
MAX_TEXT = 64  # the carrier and tracking number columns of a shipment
CHUNK = 500  # values per IN (...) list
# (name, required, what it holds)
COLUMNS = (
    ("order", True, N_("The order number, as on the orders page.")),
    ("carrier", True, N_("The carrier that takes the parcel, e.g. SF Express.")),
    ("tracking_number", True, N_("The carrier's tracking number (at most 64 characters).")),
    ("warehouse", False, N_("The warehouse code, to ship one warehouse's part of an order that ships from "
                            "several. Empty: every pending shipment of the order.")),
)


class ImportRefused(OrdersError):
    """The file cannot be taken at all (too large, not UTF-8, no header, ...)."""


class ImportFailed(OrdersError):
    """Rows have problems; nothing was shipped. ``plan.issues`` lists them."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(_("%(n)s problem(s); nothing was shipped. First: %(first)s",
                           n=len(plan.issues), first=plan.issues[0]))


@dataclass
class ShipRow:
    """One row of the file, as read and as it would ship."""

    line: int
    order_number: str
    carrier: str
    tracking_number: str
    warehouse_code: str = ""
    order: Order | None = None
    shipments: list = field(default_factory=list)  # the pending shipments the row ships
    completes: bool = False  # the order has nothing left to ship after this row
    left: int = 0  # pending shipments of the order left after this row
    ok: bool = True

    @property
    def state(self):
        """The order's state now, for people; "" for an unknown order."""
        return state_label(self.order.state) if self.order is not None else ""

    @property
    def warehouses(self):
        """The codes of the warehouses the row ships from."""
        return ", ".join(s.warehouse.code for s in self.shipments)

    @property
    def outcome(self):
        """What applying the row does, in a sentence; "" for a row with a problem."""
        if not self.ok or not self.shipments:
            return ""
        if self.completes:
            return _("Ships from %(warehouses)s; the order becomes %(state)s.", warehouses=self.warehouses,
                     state=state_label("pending_receipt"))
        return _("Ships from %(warehouses)s; %(left)s shipment(s) of the order stay pending.",
                 warehouses=self.warehouses, left=self.left)


@dataclass
class ShipPlan:
    """What an import would do: its rows and its problems."""

    merchant: Merchant
    rows: list = field(default_factory=list)
    issues: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def issue(self, row, column, message):
        """Note a problem of ``row`` (a ``ShipRow`` or a line number)."""
        line = row.line if isinstance(row, ShipRow) else row
        if isinstance(row, ShipRow):
            row.ok = False
        self.issues.append(RowError(line, column, message))

    @property
    def orders(self):
        """The distinct orders the rows ship."""
        return {r.order.id for r in self.rows if r.order is not None}

    @property
    def shipment_count(self):
        return sum(len(r.shipments) for r in self.rows)

    @property
    def completed(self):
        """Orders the import moves to pending receipt."""
        return sum(1 for r in self.rows if r.completes)


# -- the uploaded file --------------------------------------------------------------

def import_merchant(actor, merchant_id):
    """The merchant whose orders are shipped: merchant staff always their own;
    platform staff choose one whose orders they may change."""
    return sheets.import_merchant(actor, merchant_id, ORDER, ImportRefused,
                                  _("Merchant: choose the merchant whose orders are shipped."),
                                  lambda code: _("Merchant: you cannot ship %(code)s's orders.", code=code))


def merchants_for(actor):
    """The merchants a platform user may ship orders for."""
    return sheets.writable_merchants(actor, ORDER)


def size_label():
    """The size limit for people: "2 MB"."""
    return sheets.size_label(MAX_BYTES)


def too_large_message(name):
    """What a user reads when the file passes the size limit."""
    return _("%(name)s is larger than %(size)s, the limit for one shipping import; split it into smaller files.",
             name=name or _("The file"), size=size_label())


def _empty_message(name):
    return _("%(name)s is empty; its first row must name the columns order, carrier, tracking_number and "
             "warehouse.", name=name)


def store_ship_file(actor, file_storage, merchant_id):
    """Keep an uploaded CSV or XLSX for ``check_shipments``; at most
    ``MAX_BYTES`` are read. Returns the ``StoredFile`` (flushed; the caller commits)."""
    merchant = import_merchant(actor, merchant_id)
    return sheets.store_sheet(actor, file_storage, KIND, merchant.id, MAX_BYTES, ImportRefused, too_large_message,
                              _empty_message)


def ship_file(actor, file_id):
    """The stored shipping file ``actor`` uploaded, or None (another user's
    file, or another kind of file, is not found)."""
    return sheets.uploaded_sheet(actor, file_id, KIND)


# -- reading and checking -------------------------------------------------------------

def _header(table, plan):
    """``{column: index}`` and ``{column: name as in the file}``; refuses a
    file whose first row names none of the columns, notes missing required ones."""
    found, names = {}, {}
    known = {c[0] for c in COLUMNS}
    for index, cell in enumerate(table.header):
        key = cell.strip().lower()
        if key in found:
            plan.issue(table.header_line, cell, _("the column %(name)s appears twice; keep one.", name=cell))
        elif key in known:
            found[key], names[key] = index, cell
        elif key:
            plan.warnings.append(_("The column %(name)s is not read.", name=cell))
    if not found:
        shown = ", ".join(c for c in table.header if c)[:120]
        raise ImportRefused(_("The first row must name the columns order, carrier, tracking_number and warehouse; "
                              "it reads \"%(row)s\". Add the header row.", row=shown))
    missing = [name for name, required, _help in COLUMNS if required and name not in found]
    if missing:
        plan.issue(table.header_line, "", _("missing column(s): %(names)s. The first row must name the columns "
                                            "order, carrier and tracking_number (warehouse is optional).",
                                            names=", ".join(missing)))
    return found, {name: names.get(name, name) for name, _required, _help in COLUMNS}


def _read_rows(table, columns):
    """The data rows as ``ShipRow``s, at most ``MAX_ROWS``."""
    rows = []
    for line, cells in table.rows():
        if len(rows) >= MAX_ROWS:
            raise ImportRefused(_("The file has more than %(max)s rows; split it into smaller files.",
                                  max=f"{MAX_ROWS:,}"))

        def cell(name, cells=cells):
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        rows.append(ShipRow(line, cell("order").upper(), cell("carrier"), cell("tracking_number"),
                            cell("warehouse").upper()))
    return rows


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _orders(merchant, numbers):
    """``{number: order}`` of the merchant's orders among ``numbers``, read
    afresh with their shipments and warehouses."""
    found = {}
    for part in _chunks(numbers):
        query = (select(Order).where(Order.merchant_id == merchant.id, Order.number.in_(part))
                 .options(selectinload(Order.shipments).selectinload(Shipment.warehouse))
                 .execution_options(populate_existing=True))
        found.update((o.number, o) for o in db.session.execute(query).scalars())
    return found


def _reachable(actor, record_):
    """Whether the user may ship this order or shipment (data scopes and level)."""
    try:
        reach(actor, record_)
    except (OrderNotFound, access.AccessDenied):
        return False
    return True


def _check_text_cells(plan, row, names):
    for column, value, missing in (("carrier", row.carrier, _("enter the carrier.")),
                                   ("tracking_number", row.tracking_number, _("enter the tracking number."))):
        if not value:
            plan.issue(row, names[column], missing)
        elif len(value) > MAX_TEXT:
            plan.issue(row, names[column], _("%(value)s… is longer than %(max)s characters.",
                                             value=value[:20], max=MAX_TEXT))


def _check_order(actor, plan, row, names, orders):
    """The row's order and the pending shipments it ships; a problem noted otherwise."""
    if not row.order_number:
        plan.issue(row, names["order"], _("enter the order number."))
        return
    order = orders.get(row.order_number)
    if order is None or (actor is not None and not _reachable_order(actor, order)):
        plan.issue(row, names["order"], _("unknown order %(number)s.", number=row.order_number))
        return
    row.order = order
    if actor is not None and access.access(actor).record_level(ORDER, {"merchant": order.merchant_id}) < access.WRITE:
        plan.issue(row, names["order"], _("you cannot ship order %(number)s.", number=order.number))
        return
    if order.state != PENDING_SHIPMENT:
        plan.issue(row, names["order"], _("order %(number)s is %(state)s; only orders pending shipment can be "
                                          "shipped.", number=order.number, state=state_label(order.state)))
        return
    pending = [s for s in order.shipments if s.status == SHIPMENT_PENDING]
    if row.warehouse_code:
        chosen = [s for s in pending if s.warehouse.code == row.warehouse_code
                  and (actor is None or _reachable(actor, s))]
        if not chosen:
            plan.issue(row, names["warehouse"], _("order %(number)s has no pending shipment from warehouse "
                                                  "%(code)s.", number=order.number, code=row.warehouse_code))
            return
    else:
        chosen = pending
        if actor is not None and not all(_reachable(actor, s) for s in chosen):
            plan.issue(row, names["warehouse"], _("order %(number)s ships from warehouses you cannot reach; give "
                                                  "the warehouse column, a row per warehouse of yours.",
                                                  number=order.number))
            return
    row.shipments = chosen


def _reachable_order(actor, order):
    """The order exists for the user (its merchant in their data scope)."""
    try:
        reach(actor, order, level="read")
    except OrderNotFound:
        return False
    except access.AccessDenied:
        pass  # exists for the user; the level is checked on its own
    return True


def _check_repeats(plan, rows, names):
    """A row shipping what an earlier row ships names that row."""
    seen, claimed = {}, {}
    for row in rows:
        if not row.order_number:
            continue
        key = (row.order_number, row.warehouse_code)
        earlier = seen.get(key) or next((claimed[s.id] for s in row.shipments if s.id in claimed), None)
        if earlier is not None:
            row.shipments = []
            where = row.warehouse_code or _("every warehouse")
            plan.issue(row, names["order"], _("order %(number)s (%(where)s) is also on row %(row)s; give each "
                                              "order and warehouse once.", number=row.order_number,
                                              where=where, row=earlier))
            continue
        seen[key] = row.line
        claimed.update((s.id, row.line) for s in row.shipments)


def _outcomes(plan):
    """What each clean row leaves to ship of its order, in file order."""
    left = {}
    for row in plan.rows:
        if row.order is None or not row.shipments:
            continue
        pending = left.setdefault(row.order.id, {s.id for s in row.order.shipments if s.status == SHIPMENT_PENDING})
        pending.difference_update(s.id for s in row.shipments)
        row.left, row.completes = len(pending), not pending


def check_shipments(actor, stored):
    """Read and check a stored shipping file; returns the ``ShipPlan`` (its
    ``issues`` list every problem). Writes nothing."""
    merchant = import_merchant(actor, stored.merchant_id)
    plan = ShipPlan(merchant)
    try:
        table, close = open_table(stored)
    except (SheetError, OSError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{stored.original_name}: {exc}") from None
    try:
        columns, names = _header(table, plan)
        plan.rows = _read_rows(table, columns)
    except (SheetError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{stored.original_name}: {exc}") from None
    finally:
        close()
    if not plan.rows:
        raise ImportRefused(_("%(name)s has no rows below its header; add a row per order shipped.",
                              name=stored.original_name))
    if plan.issues:  # a column is missing: the rows cannot be read
        return plan
    orders = _orders(merchant, {r.order_number for r in plan.rows if r.order_number})
    for row in plan.rows:
        _check_order(actor, plan, row, names, orders)
        _check_text_cells(plan, row, names)
    _check_repeats(plan, plan.rows, names)
    _outcomes(plan)
    plan.issues.sort(key=lambda issue: issue.line)
    return plan


# -- applying -------------------------------------------------------------------------

def apply_shipments(actor, stored):
    """Check the file again and ship every row through ``lifecycle.ship``, all
    or none (the caller commits); ``ImportFailed`` carries the plan with the
    problem otherwise. One audit row for the batch beside each shipment's own."""
    plan = check_shipments(actor, stored)
    if plan.issues:
        raise ImportFailed(plan)
    with db.session.begin_nested():
        for row in plan.rows:
            try:
                if row.warehouse_code:
                    for shipment in row.shipments:
                        ship(actor, row.order, row.carrier, row.tracking_number, shipment=shipment)
                else:
                    ship(actor, row.order, row.carrier, row.tracking_number)
            except (OrdersError, InventoryError, EventRejected, access.AccessDenied) as exc:
                # raised inside the savepoint: every row shipped before this one is undone with it
                plan.issue(row, "", str(exc))
                raise ImportFailed(plan) from exc
        record("orders.ship_import", target=f"file {stored.id}", plugin="orders", merchant_id=plan.merchant.id,
               actor=actor, summary={"file": stored.original_name, "rows": len(plan.rows),
                                     "orders": len(plan.orders), "shipments": plan.shipment_count,
                                     "completed": plan.completed})
    return plan
