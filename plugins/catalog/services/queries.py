"""The product list query (search, filters, sort) and the figures the
dashboard shows, always limited to what the user may read.

Built for 100,000 products / 400,000 SKUs:
- SKU code and barcode match exactly, through their indexes;
- a title matches case-insensitively anywhere in the English or Chinese
  title: through trigram indexes on PostgreSQL, a scan of the titles on
  SQLite (limited to the merchant when the user is merchant staff);
- "category with children" turns the category into its subtree's ids through
  the materialised path on the small category table, so products are filtered
  with ``category_id IN (...)`` on their own index;
- pages are fetched without counting the whole table (``paginate(count=False)``).
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal import access
from portal.extensions import db
from portal.money import minor_unit
from sqlalchemy import any_, func, or_, select, union
from sqlalchemy.orm import selectinload

from ..models import REVIEW_PENDING, REVIEW_STATUSES, SHELF_ON, SHELF_STATUSES, Category, Product, Sku

SORTS = {
    "-id": (Product.id.desc(),),
    "id": (Product.id.asc(),),
    "title": (Product.title_en.asc(), Product.id.asc()),
    "-title": (Product.title_en.desc(), Product.id.desc()),
    "-updated": (Product.updated_at.desc(), Product.id.desc()),
}


@dataclass
class ProductFilters:
    """What the list page asks for; every field optional."""

    q: str = ""
    category_id: int | None = None
    brand_id: int | None = None
    merchant_id: int | None = None
    shelf: str = ""
    review: str = ""
    sort: str = "-id"

    @classmethod
    def from_args(cls, args):
        """Read the filters from request arguments, ignoring what does not parse."""
        def number(key):
            value = (args.get(key) or "").strip()
            return int(value) if value.isdigit() else None
        shelf, review, sort = args.get("shelf") or "", args.get("review") or "", args.get("sort") or "-id"
        return cls(q=(args.get("q") or "").strip()[:100], category_id=number("category"),
                   brand_id=number("brand"), merchant_id=number("merchant"),
                   shelf=shelf if shelf in SHELF_STATUSES else "",
                   review=review if review in REVIEW_STATUSES else "",
                   sort=sort if sort in SORTS else "-id")


def product_query(filters, user=None, level="read"):
    """A select of the products ``user`` may reach at ``level`` matching
    ``filters``, sorted; pass it to ``portal.paging.paginate``."""
    query = access.scoped(select(Product), Product, level, user=user)
    if filters.q:
        query = query.where(_search(filters.q))
    if filters.category_id is not None:
        category = db.session.get(Category, filters.category_id)
        path = category.path if category is not None else "/-/"
        query = query.where(Product.category_id.in_(select(Category.id).where(Category.path.like(f"{path}%"))))
    if filters.brand_id is not None:
        query = query.where(Product.brand_id == filters.brand_id)
    if filters.merchant_id is not None:
        query = query.where(Product.merchant_id == filters.merchant_id)
    if filters.shelf:
        query = query.where(Product.shelf_status == filters.shelf)
    if filters.review:
        query = query.where(Product.review_status == filters.review)
    return query.order_by(*SORTS[filters.sort]).options(
        selectinload(Product.merchant), selectinload(Product.category), selectinload(Product.brand))


def _search(q):
    """Title (either language, any case, anywhere in it), or exact SKU code or barcode.

    PostgreSQL: ILIKE, which the trigram indexes serve, and the SKU matches
    as ``id = ANY(ARRAY(...))`` so the planner can OR the three index scans
    (``id IN (subquery)`` would make it read every product). SQLite: LIKE,
    which ignores ASCII case there (as its lower() does, so lower() would
    only double the scan's cost)."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    by_code = union(select(Sku.product_id).where(Sku.code == q), select(Sku.product_id).where(Sku.barcode == q))
    if db.session.get_bind().dialect.name == "postgresql":
        return or_(Product.title_en.ilike(pattern, escape="\\"), Product.title_zh.ilike(pattern, escape="\\"),
                   Product.id == any_(func.array(by_code.scalar_subquery())))
    return or_(Product.title_en.like(pattern, escape="\\"), Product.title_zh.like(pattern, escape="\\"),
               Product.id.in_(by_code))


@dataclass
class SkuSummary:
    count: int
    low: object
    high: object
    currency: str


def sku_summaries(product_ids):
    """``{product id: SkuSummary}`` for one page of products, in one query."""
    if not product_ids:
        return {}
    rows = db.session.execute(
        select(Sku.product_id, func.count(Sku.id), func.min(Sku.price), func.max(Sku.price), func.min(Sku.currency))
        .where(Sku.product_id.in_(product_ids)).group_by(Sku.product_id)).all()
    # one look-up per currency: quantize() would load the currency again for every amount
    steps = {cur: Decimal(1).scaleb(-minor_unit(cur)) for cur in {row[4] for row in rows}}
    return {pid: SkuSummary(n, low.quantize(steps[cur], ROUND_HALF_UP), high.quantize(steps[cur], ROUND_HALF_UP), cur)
            for pid, n, low, high, cur in rows}


def dashboard_counts(user):
    """Products on the shelf and waiting for review within ``user``'s scope."""
    base = access.scoped(select(func.count(Product.id)), Product, "read", user=user)
    on_shelf = db.session.execute(base.where(Product.shelf_status == SHELF_ON)).scalar()
    pending = db.session.execute(base.where(Product.review_status == REVIEW_PENDING)).scalar()
    return {"on_shelf": on_shelf, "pending": pending}


def review_queue(user, merchant_id=None):
    """Pending products, oldest change first (the order reviewers work in)."""
    query = access.scoped(select(Product).where(Product.review_status == REVIEW_PENDING), Product, "read",
                          user=user)
    if merchant_id is not None:
        query = query.where(Product.merchant_id == merchant_id)
    return query.order_by(Product.updated_at, Product.id)
