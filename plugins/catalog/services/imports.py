"""Importing products from a spreadsheet: the portal's own format
(``import_portal``) or Shopify's product CSV export (``import_shopify``).

The steps, the same for both formats:

1. ``store_import_file``: the upload is kept through ``portal.uploads`` (the
   type comes from the bytes: CSV or XLSX; size limited before it is read;
   a GBK or Latin-1 CSV is converted to UTF-8 first).
2. ``check_file``: the file is read and every row checked against the library
   and the merchant's catalog; the result (``import_plan.Plan``) lists what
   would be created and changed, and every problem naming its row and column.
   Nothing is written.
3. ``run_import``: the same check again (the catalog may have changed since
   the preview), then, only when no row has a problem, every change in the
   caller's transaction: all rows or none.

Rows are matched to existing SKUs by SKU code within the merchant, so
importing the same file twice changes nothing the second time.
"""
import io
import os
from dataclasses import dataclass, field

from flask_babel import gettext as _
from portal import uploads
from portal.extensions import db
from portal import imports as portal_imports
from portal.imports import RowError
from portal.models import Currency, StoredFile
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..models import SPEC, Attribute, Brand, Category
from . import CatalogError
from .sheets import SheetError, decode_text, open_csv, open_xlsx

RESOURCE = "catalog.product"
KIND = "catalog.import"
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ISSUES = 10_000
FORMATS = ("portal", "shopify")


class ImportRefused(CatalogError):
    """The file cannot be taken at all (too large, wrong type, unreadable)."""


class ImportFailed(CatalogError):
    """Rows have problems; nothing was imported. ``plan.issues`` lists them."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(_("%(n)s problem(s); nothing was imported. First: %(first)s",
                           n=len(plan.issues), first=plan.issues[0]))


@dataclass
class SkuDraft:
    """One row's SKU: its code, the raw text of each SKU field present in the
    file, and its spec values (None when the file has no spec columns)."""

    line: int
    code: str
    raw: dict
    values: list | None


@dataclass
class ProductDraft:
    """The rows sharing a product key (``product_ref`` or Shopify's Handle)."""

    key: str
    line: int
    content: dict = field(default_factory=dict)  # present product fields, checked
    category: Category | None = None
    params: dict | None = None  # {attribute id: (value id, text)} for the param columns present
    param_attributes: set = field(default_factory=set)  # attribute ids whose columns the file has
    texts: dict = field(default_factory=dict)  # the first row's product cells, to compare the others with
    spec_columns: dict = field(default_factory=dict)  # {attribute id: column name} where not spec:<code>
    skus: list = field(default_factory=list)
    image_urls: list = field(default_factory=list)
    product_id: int | None = None  # the portal format's product_ref, when it is an existing product's id
    broken: bool = False  # a product-level problem: its rows are reported, not planned


class Parsed:
    """What a format reader hands to the planner."""

    def __init__(self, columns, library, strict_refs=False):
        self.library = library
        # the portal's format names products by number: a code of another product is a mistake there
        self.strict_refs = strict_refs
        self.columns = columns  # {field: the file's column name}, to name columns in messages
        self.drafts = {}
        self.issues = []
        self._cells = set()
        self.warnings = []
        self.rows = 0
        self.types = {}  # Shopify: {Type: number of products}, for the category mapping
        self.countries = {}  # origin country cells already checked: {text: (code, problem)}

    def issue(self, line, column, message):
        """Note a problem: one per cell (a formula is not also "required"),
        at most ``MAX_ISSUES``."""
        if (line, column) in self._cells or len(self.issues) >= MAX_ISSUES:
            return
        self._cells.add((line, column))
        self.issues.append(RowError(line, column, message))


class Library:
    """The shared library, loaded once per import: categories by id, path and
    name; brands by name; each category's spec and param attributes."""

    def __init__(self):
        self.categories = {c.id: c for c in db.session.execute(select(Category)).scalars()}
        parents = {c.parent_id for c in self.categories.values() if c.parent_id is not None}
        self.leaves = {cid for cid in self.categories if cid not in parents}
        self.by_path, self.by_name = {}, {}
        for c in self.categories.values():
            self.by_path[self.path(c).lower()] = c
            for name in {c.name_en.strip().lower(), c.name_zh.strip().lower()} - {""}:
                self.by_name.setdefault(name, []).append(c)
        self.brands = {}
        for b in db.session.execute(select(Brand)).scalars():
            for name in {b.name_en.strip().lower(), b.name_zh.strip().lower()} - {""}:
                self.brands.setdefault(name, b)
        # held for the whole import: the money checks look currencies up by key, and the session
        # keeps a loaded row only while something refers to it (else one SELECT per row)
        self.currencies = {c.code: c for c in db.session.execute(select(Currency)).scalars()}
        self.attributes = {}
        for a in db.session.execute(select(Attribute).order_by(Attribute.position, Attribute.id)).scalars():
            self.attributes.setdefault(a.category_id, []).append(a)
        self._effective = {}

    def path(self, category):
        """"Clothing > Shirts": the names from the root down (the export writes this)."""
        return " > ".join(self.categories[i].name_en for i in category.ancestor_ids if i in self.categories)

    def category(self, text):
        """The category a cell names (id, path or unique name), or a message."""
        text = text.strip()
        if text.isdigit() and int(text) in self.categories:
            return self.categories[int(text)], None
        key = " > ".join(part.strip() for part in text.replace("›", ">").split(">")).lower()
        if key in self.by_path:
            return self.by_path[key], None
        found = self.by_name.get(text.lower(), [])
        if len(found) == 1:
            return found[0], None
        if found:
            return None, _("%(name)s names %(n)s categories; write the path (%(example)s).", name=text,
                           n=len(found), example=self.path(found[0]))
        return None, _("no category named %(name)s in the library.", name=text)

    def brand(self, text):
        """The active brand named ``text`` (English or Chinese), or a message."""
        brand = self.brands.get(text.strip().lower())
        if brand is None:
            return None, _("no brand named %(name)s in the library; ask the platform to add it, or leave the "
                           "cell empty.", name=text)
        if not brand.active:
            return None, _("the brand %(name)s is inactive; choose another.", name=brand.name_en)
        return brand, None

    def effective(self, category, kind):
        """The category's attributes of ``kind``, its ancestors' first."""
        key = (category.id, kind)
        if key not in self._effective:
            self._effective[key] = [a for cid in category.ancestor_ids for a in self.attributes.get(cid, ())
                                    if a.kind == kind]
        return self._effective[key]

    def spec_codes(self):
        """Codes of every spec attribute, for checking the header."""
        return {a.code for attrs in self.attributes.values() for a in attrs if a.kind == SPEC}

    def param_codes(self):
        """Codes of every param attribute."""
        return {a.code for attrs in self.attributes.values() for a in attrs if a.kind != SPEC}


def value_of(attribute, text):
    """The allowed value of ``attribute`` that ``text`` names (English or
    Chinese, any case), or a message listing the allowed values."""
    wanted = text.strip().lower()
    for value in attribute.values:
        if wanted in (value.value_en.lower(), value.value_zh.lower()):
            return value, None
    allowed = ", ".join(v.value_en for v in attribute.values[:12])
    return None, _("%(value)s is not an allowed value of %(attribute)s (%(allowed)s); ask the platform to add it.",
                   value=text, attribute=attribute.name_en, allowed=allowed)


# -- the uploaded file --------------------------------------------------------------

def import_merchant(actor, merchant_id):
    """The merchant an import goes into: merchant staff always their own;
    platform staff choose one they may write to."""
    return portal_imports.import_merchant(actor, merchant_id, RESOURCE, ImportRefused,
                                          _("Merchant: choose the merchant to import into."),
                                          lambda code: _("Merchant: you cannot change %(code)s's products.", code=code))


def store_import_file(actor, file_storage, merchant_id):
    """Keep an uploaded CSV or XLSX for ``check_file`` and ``run_import``.
    At most ``MAX_BYTES`` are read: a larger file is refused without reading
    the rest. A CSV in GBK or Latin-1 is stored converted to UTF-8. Returns
    ``(StoredFile, encoding)``, ``encoding`` being None for XLSX."""
    merchant = import_merchant(actor, merchant_id)
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise ImportRefused(_("File: choose a CSV or Excel (.xlsx) file."))
    name = file_storage.filename
    data = file_storage.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportRefused(too_large_message(name))
    encoding = None
    if not data.startswith(b"PK\x03\x04"):
        try:
            text, encoding = decode_text(data)
        except SheetError as exc:
            raise ImportRefused(f"{name}: {exc}") from None
        if encoding != "UTF-8":
            data = text.encode("utf-8")
    try:
        stored = uploads.store_upload(FileStorage(io.BytesIO(data), filename=name), KIND, merchant_id=merchant.id,
                                      actor=actor, allowed=("text/csv", uploads.XLSX), max_bytes=2 * MAX_BYTES)
    except uploads.UploadRejected as exc:
        raise ImportRefused(str(exc)) from None
    return stored, encoding


def too_large_message(name):
    """What a user reads when the file passes the import limit."""
    return _("%(name)s is larger than %(mb)s MB, the limit for one import; split it into smaller files.",
             name=name or _("The file"), mb=MAX_BYTES // (1024 * 1024))


def import_file(actor, file_id):
    """The stored import file ``actor`` uploaded, or None (another user's
    file, or not an import, is not found)."""
    stored = db.session.get(StoredFile, file_id)
    if stored is None or stored.kind != KIND or actor is None or stored.created_by_id != actor.id:
        return None
    return stored


def open_table(stored):
    """``(Table, closer)`` for a stored CSV or XLSX."""
    path = uploads.stored_path(stored)
    if stored.content_type == uploads.XLSX:
        table, workbook = open_xlsx(path)
        return table, workbook.close
    fh = open(path, encoding="utf-8-sig", newline="")
    try:
        return open_csv(fh), fh.close
    except BaseException:
        fh.close()
        raise


def check_file(actor, stored, fmt="portal", type_map=None):
    """Read and check a stored import file; returns the ``Plan`` (its
    ``issues`` list every problem). Writes nothing."""
    from . import import_plan, portal_format, shopify

    if fmt not in FORMATS:
        raise ImportRefused(_("Format: choose the portal's format or Shopify's."))
    merchant = import_merchant(actor, stored.merchant_id)
    try:
        table, close = open_table(stored)
    except (SheetError, OSError) as exc:
        raise ImportRefused(f"{stored.original_name}: {exc}") from None
    try:
        library = Library()
        if fmt == "shopify":
            parsed = shopify.read(table, library, type_map or {})
        else:
            parsed = portal_format.read(table, library)
    except SheetError as exc:
        raise ImportRefused(f"{stored.original_name}: {exc}") from None
    finally:
        close()
    return import_plan.plan(actor, merchant, parsed)


def run_import(actor, stored, fmt="portal", type_map=None):
    """Check the file again and, when no row has a problem, write every
    change (the caller commits; ``ImportFailed`` carries the plan otherwise)."""
    from . import import_write

    plan = check_file(actor, stored, fmt, type_map)
    if plan.issues:
        raise ImportFailed(plan)
    import_write.apply(actor, plan, stored, fmt)
    return plan


def file_label(stored):
    """The uploaded file's name for messages."""
    return stored.original_name or os.path.basename(stored.path)
