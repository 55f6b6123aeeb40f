"""The stock list's filters and query, and what each row's forms need.

Built for 400,000 stock rows: the list is never counted
(``paginate(count=False)``) and is sorted by SKU (the order SKUs were made in,
so a product's SKUs stay together), then warehouse: the order of the stock
table's own indexes ``(sku_id, warehouse_id)``, ``(warehouse_id, sku_id)`` and
``(merchant_id, sku_id)``, so the database reads one page whatever the filter
and never sorts (sorting by SKU code would sort every matching row: the code
lives on another table). The state filters have partial indexes; the search
narrows to the SKUs it finds through the catalog's indexed product search,
SKU codes (exact or starting with the text) and barcodes.
"""
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, text, union
from sqlalchemy.orm import contains_eager

from plugins.catalog.models import Product, Sku
from plugins.catalog.services.queries import search_condition
from portal import access
from portal.extensions import db
from portal.models import Merchant

from ..models import STATE_CONDITIONS, SkuPolicy, Stock, Warehouse

ADJUST = "inventory.adjust"

# the "state" filter: rows with units in that state, or with none available;
# the partial indexes' own conditions (no other joined table has these
# column names), so SQLite sees it may use them
STATE_FILTERS = {name: (lambda condition=condition: text(condition)) for name, condition in STATE_CONDITIONS.items()}


def _number(raw):
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


@dataclass
class StockFilters:
    """What the stock list asks for; every field optional."""

    q: str = ""
    warehouse_id: int | None = None
    merchant_id: int | None = None
    sku_id: int | None = None
    state: str = ""
    low_only: bool = False

    @classmethod
    def from_args(cls, args, merchant_staff=False):
        """Read the filters from request arguments, ignoring what does not parse;
        merchant staff see one merchant, so their merchant filter is ignored."""
        state = args.get("state") or ""
        q = (args.get("q") or "").replace("\x00", "").strip()[:100]  # a NUL cannot reach the database
        return cls(q=q, warehouse_id=_number(args.get("warehouse")),
                   merchant_id=None if merchant_staff else _number(args.get("merchant")),
                   sku_id=_number(args.get("sku")), state=state if state in STATE_FILTERS else "",
                   low_only=args.get("low") == "1")

    @property
    def active(self):
        """Does any filter narrow the list?"""
        return bool(self.q or self.warehouse_id or self.merchant_id or self.sku_id or self.state or self.low_only)

    def query(self):
        """The filtered, sorted select (see ``stock_query``)."""
        return stock_query(self.q, self.warehouse_id, self.low_only, merchant_id=self.merchant_id,
                           sku_id=self.sku_id, state=self.state)


def stock_query(q="", warehouse_id=None, low_only=False, *, merchant_id=None, sku_id=None, state=""):
    """Stock rows in the user's scope with their SKU, product and warehouse,
    filtered by SKU code or product title, warehouse, merchant, SKU, state and
    low stock; sorted by SKU, then warehouse (see the module's docstring)."""
    query = (select(Stock).join(Stock.sku).join(Sku.product).join(Stock.warehouse)
             .options(contains_eager(Stock.sku).contains_eager(Sku.product), contains_eager(Stock.warehouse)))
    query = access.scoped(query, Stock, "read")
    if merchant_id is not None:
        query = query.where(Stock.merchant_id == merchant_id)
    if q:
        query = query.where(Stock.sku_id.in_(matching_skus(q)))
    if warehouse_id is not None:
        query = query.where(Stock.warehouse_id == warehouse_id)
    if sku_id is not None:
        query = query.where(Stock.sku_id == sku_id)
    if state in STATE_FILTERS:
        query = query.where(STATE_FILTERS[state]())
    if low_only:
        free = Stock.on_hand - Stock.locked - Stock.damaged - Stock.quality_hold
        query = query.join(SkuPolicy, SkuPolicy.sku_id == Stock.sku_id).where(
            SkuPolicy.low_stock_threshold > 0, free <= SkuPolicy.low_stock_threshold)
        # the same order, said on the policy's key: the database then walks the
        # (small) policy table in order and stops at the page's end
        return query.order_by(SkuPolicy.sku_id, Stock.warehouse_id)
    return query.order_by(Stock.sku_id, Stock.warehouse_id)


def matching_skus(q):
    """The ids of SKUs whose code is or starts with ``q``, whose barcode is
    ``q``, or whose product the catalog's search finds."""
    # the range serves the prefix from the code's index on both databases
    # (LIKE 'x%' is case-insensitive on SQLite, so its index cannot); the LIKE
    # keeps the prefix exact where a collation orders other codes in between
    prefix = and_(Sku.code >= q, Sku.code < q + "\U0010ffff", Sku.code.startswith(q, autoescape=True))
    products = select(Product.id).where(search_condition(q))
    return union(select(Sku.id).where(prefix), select(Sku.id).where(Sku.barcode == q),
                 select(Sku.id).where(Sku.product_id.in_(products)))


def merchant_choices(user):
    """The merchants platform staff may filter by (those in their scope);
    nothing for merchant staff, who see their own merchant only."""
    if user.merchant_id is not None:
        return []
    return db.session.execute(access.scoped(select(Merchant), Merchant, "read")
                              .order_by(Merchant.code)).scalars().all()


def filtered_sku_code(sku_id):
    """The code of the SKU the list is limited to, when the user may see it."""
    if sku_id is None:
        return None
    return db.session.execute(access.scoped(select(Sku.code).where(Sku.id == sku_id), Sku, "read")).scalar()


def _stock_scopes(merchant_id, warehouse_id):
    """The data scopes a stock row of this merchant in this warehouse carries."""
    values = {"merchant_id": merchant_id, "warehouse_id": warehouse_id}
    return {scope: values[attr] for scope, attr in Stock.__portal_scopes__.items()}


def transfer_destinations(rows):
    """``{row id: [Warehouse]}``: where each row's goods may be transferred: an
    active warehouse other than the row's, platform-run or the SKU's merchant's,
    whose stock of this merchant the user may change."""
    if not rows:
        return {}
    merchants = {row.merchant_id for row in rows}
    warehouses = db.session.execute(
        select(Warehouse).where(Warehouse.active.is_(True),
                                or_(Warehouse.merchant_id.is_(None), Warehouse.merchant_id.in_(merchants)))
        .order_by(Warehouse.priority, Warehouse.code)).scalars().all()
    user_access = access.access()
    return {row.id: [w for w in warehouses
                     if w.id != row.warehouse_id and w.merchant_id in (None, row.merchant_id)
                     and user_access.record_level(ADJUST, _stock_scopes(row.merchant_id, w.id)) >= access.WRITE]
            for row in rows}


def row_context(rows):
    """What the rows' forms show: transfer destinations and each SKU's policy."""
    sku_ids = {row.sku_id for row in rows}
    policies = {p.sku_id: p for p in db.session.execute(
        select(SkuPolicy).where(SkuPolicy.sku_id.in_(sku_ids))).scalars()} if sku_ids else {}
    return {"destinations": transfer_destinations(rows), "policies": policies}
