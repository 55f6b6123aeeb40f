"""Pieces the logistics pages share."""
from flask_login import current_user
from sqlalchemy import select

from plugins.catalog.models import Category
from portal import access
from portal.extensions import db
from portal.models import Merchant


def actor():
    return current_user._get_current_object()


def merchant_choices():
    """The merchants platform staff may pick; none for merchant staff."""
    if current_user.merchant_id is not None:
        return []
    return db.session.execute(access.scoped(select(Merchant), Merchant, "read").order_by(Merchant.code)).scalars().all()


def category_choices():
    """Every active category, in tree order, with its depth."""
    return db.session.execute(select(Category).where(Category.active.is_(True))
                              .order_by(Category.path)).scalars().all()


def sort_order(raw, sorts, default, tie):
    """``(sort, order_by clauses)`` for a list's ``?sort=``: a key of ``sorts``
    (``name``: ascending, ``-name``: descending) or, for anything else, ``default``
    (an unknown key never reaches the SQL). ``tie`` (the id) follows the same
    direction, so rows with equal values keep one order from page to page.
    ``default`` may be ``""``: ``(sort, ())``, the caller keeps its own order."""
    raw = (raw or "").strip()
    sort = raw if raw.lstrip("-") in sorts else default
    if not sort:
        return "", ()
    column = sorts[sort.lstrip("-")]
    if sort.startswith("-"):
        return sort, (column.desc(), tie.desc())
    return sort, (column.asc(), tie.asc())


def chosen_merchant(raw):
    """Merchant staff act for their own merchant; platform staff choose one (None: not chosen)."""
    if current_user.merchant_id is not None:
        return current_user.merchant_id
    try:
        return int(raw) if raw else None
    except (TypeError, ValueError):
        return None
