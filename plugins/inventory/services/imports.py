"""Stock counts from a spreadsheet: upload, preview, apply (all rows or none).

1. ``store_count_file``: the upload (CSV in UTF-8, with or without a BOM, or
   an Excel workbook) is checked and kept through ``portal.uploads``; the size
   is limited before the rest is read.
2. ``check_counts``: every row is read and checked against the merchant's SKUs,
   the warehouses and the user's warehouse scope; the ``CountPlan`` lists each
   row with its on-hand figure, the count and the difference, and every problem
   naming its row and column. Nothing is written.
3. ``apply_counts``: the same check again, then a refusal naming the row when
   its on-hand figure changed since the preview, then one stocktake
   (``adjust``) per row inside one savepoint: a row refused at that moment
   undoes every row before it.

SKU codes are looked up within the import's merchant only, so another
merchant's SKU is an unknown SKU.
"""
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from plugins.catalog.models import Sku
from plugins.catalog.services.imports import open_table
from plugins.catalog.services.sheets import SheetError
from portal import access
from portal.events import EventRejected
from portal.extensions import db
from portal.i18n import N_
from portal import imports as sheets
from portal.imports import RowError
from portal.models import Merchant

from ..models import ON_HAND, Stock, StockLedger, Warehouse
from .core import audit
from .errors import CountBelowCommitted, InventoryError
from .stock import adjust

RESOURCE = "inventory.adjust"
KIND = "inventory.import"
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
MAX_REASON = 500
MAX_COUNT = 2_147_483_647  # the largest quantity the stock columns hold
CHUNK = 500  # values per IN (...) list
WHOLE_NUMBER = re.compile(r"[+-]?\d+")
# (name, required, what it holds)
COLUMNS = (
    ("sku", True, N_("The SKU code, as on the SKUs page.")),
    ("warehouse", True, N_("The warehouse code, as on the warehouses page.")),
    ("counted", True, N_("The units counted on the shelf: a whole number, 0 or more. On-hand becomes this figure.")),
    ("reason", False, N_("Why the count was made; shown in the stock ledger. Empty: \"CSV stocktake\".")),
)


class ImportRefused(InventoryError):
    """The file cannot be taken at all (too large, not UTF-8, no header, ...)."""


class ImportFailed(InventoryError):
    """Rows have problems; nothing was changed. ``plan.issues`` lists them."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(_("%(n)s problem(s); nothing was changed. First: %(first)s",
                           n=len(plan.issues), first=plan.issues[0]))


@dataclass
class CountRow:
    """One row of the file, as read and as it would change the stock."""

    line: int
    sku_code: str
    warehouse_code: str
    counted: int | None = None
    reason: str = ""
    sku_id: int | None = None
    warehouse_id: int | None = None
    on_hand: int | None = None
    committed: int = 0  # locked + damaged + on hold: the count cannot go below it
    ok: bool = True

    @property
    def difference(self):
        """Counted minus on hand, or None when either is unknown."""
        if self.counted is None or self.on_hand is None:
            return None
        return self.counted - self.on_hand


@dataclass
class CountPlan:
    """What an import would do: its rows, its problems, and the last ledger
    row at the time of the check (to find rows changed before the confirm)."""

    merchant: Merchant
    rows: list = field(default_factory=list)
    issues: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    as_of: int = 0

    def issue(self, row, column, message):
        """Note a problem of ``row`` (a ``CountRow`` or a line number)."""
        line = row.line if isinstance(row, CountRow) else row
        if isinstance(row, CountRow):
            row.ok = False
        self.issues.append(RowError(line, column, message))

    @property
    def changed(self):
        """Rows whose on-hand figure the import changes."""
        return [r for r in self.rows if r.difference]

    @property
    def units_added(self):
        return sum(r.difference for r in self.changed if r.difference > 0)

    @property
    def units_removed(self):
        return -sum(r.difference for r in self.changed if r.difference < 0)


# -- the uploaded file --------------------------------------------------------------

def import_merchant(actor, merchant_id):
    """The merchant whose SKUs are counted: merchant staff always their own;
    platform staff choose one whose stock they may change."""
    return sheets.import_merchant(actor, merchant_id, RESOURCE, ImportRefused,
                                  _("Merchant: choose the merchant whose stock was counted."),
                                  lambda code: _("Merchant: you cannot change %(code)s's stock.", code=code))


def merchants_for(actor):
    """The merchants a platform user may import counts for."""
    return sheets.writable_merchants(actor, RESOURCE)


def too_large_message(name):
    """What a user reads when the file passes the size limit."""
    return _("%(name)s is larger than %(size)s, the limit for one count import; split it into smaller files.",
             name=name or _("The file"), size=size_label())


def _empty_message(name):
    return _("%(name)s is empty; its first row must name the columns sku, warehouse, counted and reason.",
             name=name)


def size_label():
    """The size limit for people: "2 MB"."""
    return sheets.size_label(MAX_BYTES)


def store_count_file(actor, file_storage, merchant_id):
    """Keep an uploaded CSV or XLSX for ``check_counts``; at most ``MAX_BYTES``
    are read. Returns the ``StoredFile`` (flushed; the caller commits)."""
    merchant = import_merchant(actor, merchant_id)
    return sheets.store_sheet(actor, file_storage, KIND, merchant.id, MAX_BYTES, ImportRefused, too_large_message,
                              _empty_message)


def count_file(actor, file_id):
    """The stored count file ``actor`` uploaded, or None (another user's file,
    or another kind of file, is not found)."""
    return sheets.uploaded_sheet(actor, file_id, KIND)


# -- reading and checking -------------------------------------------------------------

def _header(table, plan):
    """``{column: index}`` of the columns the import reads; refuses a file
    whose first row names none of them, notes the missing required ones."""
    found, names = {}, {}
    for index, cell in enumerate(table.header):
        key = cell.strip().lower()
        if key in found:
            plan.issue(table.header_line, cell, _("the column %(name)s appears twice; keep one.", name=cell))
        elif key in {c[0] for c in COLUMNS}:
            found[key], names[key] = index, cell
        elif key:
            plan.warnings.append(_("The column %(name)s is not read.", name=cell))
    if not found:
        shown = ", ".join(c for c in table.header if c)[:120]
        raise ImportRefused(_("The first row must name the columns sku, warehouse, counted and reason; it reads "
                              "\"%(row)s\". Add the header row.", row=shown))
    missing = [name for name, required, _help in COLUMNS if required and name not in found]
    if missing:
        plan.issue(table.header_line, "", _("missing column(s): %(names)s. The first row must name the columns "
                                            "sku, warehouse and counted (reason is optional).",
                                            names=", ".join(missing)))
    return found, names


def _read_rows(table, columns, reason_default):
    """The data rows as ``CountRow``s, at most ``MAX_ROWS``, and ``{line:
    counted cell}``: the counts are checked with the rest of the row."""
    rows, texts = [], {}
    for line, cells in table.rows():
        if len(rows) >= MAX_ROWS:
            raise ImportRefused(_("The file has more than %(max)s rows; split it into smaller files.",
                                  max=f"{MAX_ROWS:,}"))

        def cell(name, cells=cells):
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        rows.append(CountRow(line, cell("sku"), cell("warehouse").upper(),
                             reason=cell("reason") or reason_default))
        texts[line] = cell("counted")
    return rows, texts


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _skus(merchant, codes):
    """``{code: sku id}`` of the merchant's SKUs among ``codes``."""
    found = {}
    for part in _chunks(codes):
        found.update(db.session.execute(select(Sku.code, Sku.id).where(Sku.merchant_id == merchant.id,
                                                                       Sku.code.in_(part))).all())
    return found


def _stock(sku_ids):
    """``{(sku id, warehouse id): (on hand, committed)}``."""
    found = {}
    for part in _chunks(sku_ids):
        for s in db.session.execute(select(Stock).where(Stock.sku_id.in_(part))
                                    .execution_options(populate_existing=True)).scalars():
            found[(s.sku_id, s.warehouse_id)] = (s.on_hand, s.locked + s.damaged + s.quality_hold)
    return found


class _Warehouses:
    """The warehouses named in the file, and whether the user may count there."""

    def __init__(self, actor, merchant, codes):
        self.actor, self.merchant = actor, merchant
        self.by_code = {w.code: w for part in _chunks(codes)
                        for w in db.session.execute(select(Warehouse).where(Warehouse.code.in_(part))).scalars()}

    def problem(self, code):
        """``(warehouse, None)`` or ``(None, message)``: another merchant's
        warehouse, or one outside the user's scope, is unknown to them."""
        warehouse = self.by_code.get(code)
        if warehouse is None or warehouse.merchant_id not in (None, self.merchant.id):
            return None, _("unknown warehouse %(code)s.", code=code)
        if self.actor is not None:
            user_access = access.access(self.actor)
            if user_access.data_level("warehouse", warehouse.id) < access.READ:
                return None, _("unknown warehouse %(code)s.", code=code)
            scopes = {"merchant": self.merchant.id, "warehouse": warehouse.id}
            if user_access.record_level(RESOURCE, scopes) < access.WRITE:
                return None, _("you cannot change stock in warehouse %(code)s.", code=code)
        if not warehouse.active:
            return None, _("warehouse %(code)s is inactive; activate it or count another warehouse.", code=code)
        return warehouse, None


def _counted(text):
    """``(count, None)`` or ``(None, message)``."""
    if not text:
        return None, _("enter the units counted (a whole number, 0 or more).")
    if not WHOLE_NUMBER.fullmatch(text):
        return None, _("%(value)s is not a whole number; enter the units counted (0 or more).", value=text)
    number = int(text)
    if number < 0:
        return None, _("%(value)s is negative; enter the units counted (0 or more).", value=text)
    if number > MAX_COUNT:
        return None, _("%(value)s is more units than a warehouse can record.", value=text)
    return number, None


def _check_row(plan, row, counted_text, names, skus, warehouses, seen):
    """Note each problem of one row; fill in its ids and counts."""
    if not row.sku_code:
        plan.issue(row, names.get("sku", "sku"), _("enter the SKU code."))
    elif row.sku_code not in skus:
        plan.issue(row, names.get("sku", "sku"), _("unknown SKU %(code)s.", code=row.sku_code))
    else:
        row.sku_id = skus[row.sku_code]
    if not row.warehouse_code:
        plan.issue(row, names.get("warehouse", "warehouse"), _("enter the warehouse code."))
    else:
        warehouse, problem = warehouses.problem(row.warehouse_code)
        if problem:
            plan.issue(row, names.get("warehouse", "warehouse"), problem)
        else:
            row.warehouse_id = warehouse.id
    row.counted, problem = _counted(counted_text)
    if problem:
        plan.issue(row, names.get("counted", "counted"), problem)
    if len(row.reason) > MAX_REASON:
        plan.issue(row, names.get("reason", "reason"), _("at most %(max)s characters.", max=MAX_REASON))
    key = (row.sku_code, row.warehouse_code)
    if row.sku_code and row.warehouse_code:
        if key in seen:
            plan.issue(row, "", _("SKU %(sku)s in warehouse %(warehouse)s is also on row %(row)s; give each SKU "
                                  "and warehouse once.", sku=row.sku_code, warehouse=row.warehouse_code,
                                  row=seen[key]))
        else:
            seen[key] = row.line


def _below_committed(counted, committed):
    return _("the count %(counted)s is below the %(committed)s units locked, damaged or on hold; release or move "
             "them first.", counted=counted, committed=committed)


def check_counts(actor, stored):
    """Read and check a stored count file; returns the ``CountPlan`` (its
    ``issues`` list every problem). Writes nothing."""
    merchant = import_merchant(actor, stored.merchant_id)
    plan = CountPlan(merchant, as_of=db.session.execute(select(func.max(StockLedger.id))).scalar() or 0)
    try:
        table, close = open_table(stored)
    except (SheetError, OSError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{stored.original_name}: {exc}") from None
    try:
        columns, names = _header(table, plan)
        plan.rows, texts = _read_rows(table, columns, _("CSV stocktake"))
    except (SheetError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{stored.original_name}: {exc}") from None
    finally:
        close()
    if not plan.rows:
        raise ImportRefused(_("%(name)s has no rows below its header; add a row per SKU and warehouse counted.",
                              name=stored.original_name))
    if plan.issues:  # a column is missing: the rows cannot be read
        return plan
    skus = _skus(merchant, {r.sku_code for r in plan.rows if r.sku_code})
    warehouses = _Warehouses(actor, merchant, {r.warehouse_code for r in plan.rows if r.warehouse_code})
    seen = {}
    for row in plan.rows:
        _check_row(plan, row, texts[row.line], names, skus, warehouses, seen)
    stock = _stock({r.sku_id for r in plan.rows if r.sku_id})
    for row in plan.rows:
        if row.sku_id is None or row.warehouse_id is None:
            continue
        row.on_hand, row.committed = stock.get((row.sku_id, row.warehouse_id), (0, 0))
        if row.counted is not None and row.counted < row.committed:
            plan.issue(row, names["counted"], _below_committed(row.counted, row.committed))
    plan.issues.sort(key=lambda issue: issue.line)
    return plan


# -- applying -------------------------------------------------------------------------

def _changed_since(plan, as_of):
    """The first row whose on-hand figure changed after ledger row ``as_of``."""
    touched = set()
    for part in _chunks({r.sku_id for r in plan.rows}):
        touched.update(db.session.execute(
            select(StockLedger.sku_id, StockLedger.warehouse_id).where(
                StockLedger.id > as_of, StockLedger.state == ON_HAND, StockLedger.sku_id.in_(part))).all())
    return next((r for r in plan.rows if (r.sku_id, r.warehouse_id) in touched), None)


def apply_counts(actor, stored, as_of=None):
    """Check the file again and set every row's on-hand to its count, all or
    none (the caller commits). ``as_of``: the ``CountPlan.as_of`` the user saw;
    a row whose on-hand changed since then is refused. ``ImportFailed``
    carries the plan with the problem otherwise."""
    plan = check_counts(actor, stored)
    if plan.issues:
        raise ImportFailed(plan)
    moved = _changed_since(plan, as_of) if as_of is not None else None
    if moved is not None:
        plan.issue(moved, "", _("the stock of SKU %(sku)s in warehouse %(warehouse)s changed since the preview "
                                "(on hand now %(on_hand)s); check the file again to see the new differences.",
                                sku=moved.sku_code, warehouse=moved.warehouse_code, on_hand=moved.on_hand))
        raise ImportFailed(plan)
    with db.session.begin_nested():
        for row in plan.rows:
            try:
                adjust(actor, row.sku_id, row.warehouse_id, row.counted, row.reason)
            except CountBelowCommitted as exc:
                # raised inside the savepoint: every row adjusted before this one is undone with it
                plan.issue(row, "counted", _below_committed(exc.counted, exc.committed))
                raise ImportFailed(plan) from exc
            except (InventoryError, EventRejected) as exc:  # another plugin's handler may refuse a change
                plan.issue(row, "", str(exc))
                raise ImportFailed(plan) from exc
        audit("import", actor, plan.merchant.id, f"file {stored.id}", file=stored.original_name,
              rows=len(plan.rows), changed=len(plan.changed), added=plan.units_added, removed=plan.units_removed)
    return plan
