"""The product list query (search, filters, sort) and the figures the
dashboard shows, always limited to what the user may read.

Built for 100,000 products / 400,000 SKUs:
- SKU code and barcode match exactly, through their indexes;
- a title matches case-insensitively anywhere in the English or Chinese
  title: through trigram indexes on PostgreSQL, through the FTS5 trigram
  table on SQLite (a scan of the titles for a search of 1-2 characters,
  which no trigram index can answer);
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
from sqlalchemy import and_, any_, column, func, or_, select, table, union
from sqlalchemy.orm import joinedload

from ..models import (REVIEW_PENDING, REVIEW_STATUSES, SEARCH_TABLE, SHELF_ON, SHELF_STATUSES, Category,
                      Product, Sku)

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
        # a NUL cannot reach the database (PostgreSQL refuses it in text, FTS5 ends a string there)
        q = (args.get("q") or "").replace("\x00", "").strip()[:100]
        return cls(q=q, category_id=number("category"),
                   brand_id=number("brand"), merchant_id=number("merchant"),
                   shelf=shelf if shelf in SHELF_STATUSES else "",
                   review=review if review in REVIEW_STATUSES else "",
                   sort=sort if sort in SORTS else "-id")


def product_query(filters, user=None, level="read"):
    """A select of the products ``user`` may reach at ``level`` matching
    ``filters``, sorted; pass it to ``portal.paging.paginate``."""
    query = access.scoped(select(Product), Product, level, user=user)
    if filters.q:
        query = query.where(search_condition(filters.q))
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
        # many-to-one each: joined into the page's one query rather than three more round trips
        # (outer joins: SQLite then keeps reading the products first, in the page's order)
        joinedload(Product.merchant), joinedload(Product.category),
        joinedload(Product.brand))


# SQLite's FTS5 index of the titles (models.SQLITE_SEARCH_DDL); not in the
# metadata, so create_all and autogenerate leave it to its own DDL. The column
# named like the table is FTS5's hidden column that MATCH is applied to.
_TITLE_INDEX = table(SEARCH_TABLE, column("rowid"), column(SEARCH_TABLE))
TRIGRAM = 3  # the shortest search the trigram index answers


def search_condition(q):
    """Products whose title (either language, any case, anywhere in it), or
    exact SKU code or barcode, matches ``q``: the condition the product list
    and other modules' lists search with, served by an index.

    PostgreSQL: ILIKE, which the trigram indexes serve, and the SKU matches
    as ``id = ANY(ARRAY(...))`` so the planner can OR the three index scans
    (``id IN (subquery)`` would make it read every product). SQLite: LIKE,
    which ignores ASCII case there (as its lower() does, so lower() would
    only double the scan's cost), which the FTS5 trigram index narrows to
    the titles that can match from 3 characters on."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    by_code = union(select(Sku.product_id).where(Sku.code == q), select(Sku.product_id).where(Sku.barcode == q))
    if db.session.get_bind().dialect.name == "postgresql":
        return or_(Product.title_en.ilike(pattern, escape="\\"), Product.title_zh.ilike(pattern, escape="\\"),
                   Product.id == any_(func.array(by_code.scalar_subquery())))
    by_title = or_(Product.title_en.like(pattern, escape="\\"), Product.title_zh.like(pattern, escape="\\"))
    if len(q) < TRIGRAM or "\x00" in q:
        # no trigram in the query: scan the titles (a 2-character Chinese word lands here;
        # such short searches match many titles, so the newest-first scan stops early). A NUL
        # (only from callers other than from_args) would end the FTS5 string: scan too.
        return or_(by_title, Product.id.in_(by_code))
    # The index proposes candidates and the exact test above decides, so a search finds what
    # the scan found: the trigram index also folds case beyond ASCII ("Ä" finds "ä"), SQLite's
    # LIKE does not (nor does it for a short search). The query goes in as one FTS5 string
    # ("..." with " doubled), so every character in it (% _ * : ( ) AND NEAR ...) is literal.
    # Index matches and SKU matches in one IN on the primary key: SQLite reads those products
    # only, newest first from the IN list itself, and stops at the end of the page.
    phrase = '"' + q.replace('"', '""') + '"'
    candidates = union(select(_TITLE_INDEX.c.rowid).where(_TITLE_INDEX.c[SEARCH_TABLE].op("MATCH")(phrase)),
                       select(Sku.product_id).where(Sku.code == q), select(Sku.product_id).where(Sku.barcode == q))
    return and_(Product.id.in_(candidates), or_(by_title, Product.id.in_(by_code)))


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
