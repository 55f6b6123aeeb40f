"""Paging for list pages."""
from dataclasses import dataclass

from sqlalchemy import func, select

from .extensions import db

PER_PAGE = 50


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int | None

    @property
    def pages(self):
        return None if self.total is None else max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self):
        return self.number > 1

    @property
    def has_next(self):
        if self.total is None:
            # paginate() fetched one row more than it kept; that row says a next page exists
            return getattr(self, "_more", len(self.items) > self.per_page)
        return self.number < self.pages


def paginate(query, page=None, per_page=PER_PAGE, count=True, rows=False):
    """One page of a select. ``count=False`` skips the total (for tables too big
    to count on every load): one extra row is fetched to know a next page exists.
    ``rows=True`` keeps the result rows of a select of columns; otherwise the
    items are its first column (the records of ``select(Model)``)."""
    try:
        number = max(1, int(page or 1))
    except (TypeError, ValueError):
        number = 1
    total = None
    if count:
        total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar()
    limit = per_page if count else per_page + 1
    result = db.session.execute(query.limit(limit).offset((number - 1) * per_page))
    items = result.all() if rows else result.scalars().all()
    page_ = Page(items, number, per_page, total)
    if not count:
        page_.items = items[:per_page]
        page_.total = None
        page_._more = len(items) > per_page
    return page_
