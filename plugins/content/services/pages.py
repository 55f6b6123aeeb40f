"""Homepages and campaign pages: creating them, their title, slug and
schedule, the products a campaign page links to, and the lists."""
import re

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from plugins.catalog.models import Product
from portal import access
from portal.audit import record
from portal.extensions import db
from portal.models import Merchant, utcnow

from ..models import CAMPAIGN, HOME, Page, PageProduct
from . import PAGE, ContentError, integer, require, require_record, storefront_changed, text, window

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,78}[a-z0-9]$")
MAX_PRODUCTS = 200


def touch(page):
    """The draft changed: the page shows "unpublished changes"."""
    page.draft_changed_at = utcnow()


def audit(actor, action, page, summary=""):
    """An audit row about a page, in its merchant."""
    record(f"content.{action}", target=f"page:{page.id}", plugin="content", actor=actor,
           merchant_id=page.merchant_id, summary=summary)


def _owner(actor, merchant_id):
    """The merchant a new page belongs to: merchant staff always their own."""
    if actor is not None and actor.merchant_id is not None:
        return actor.merchant_id
    merchant_id = integer(merchant_id, _("Merchant"), minimum=1)
    if merchant_id is not None and db.session.get(Merchant, merchant_id) is None:
        raise ContentError(_("Merchant: %(value)s does not exist.", value=merchant_id))
    return merchant_id


def _check_owner(actor, merchant_id):
    """Refuse a page for an owner outside the actor's data scope."""
    if actor is not None and access.access(actor).record_level(PAGE, {"merchant": merchant_id}) < access.WRITE:
        raise access.AccessDenied(_("You cannot change pages of this store."))


def homepage(merchant_id):
    """The homepage of a store (or the platform's, for None), or None."""
    query = select(Page).where(Page.kind == HOME)
    query = query.where(Page.merchant_id.is_(None) if merchant_id is None else Page.merchant_id == merchant_id)
    return db.session.execute(query.order_by(Page.id).limit(1)).scalar_one_or_none()


def ensure_homepage(actor, merchant_id):
    """The store's homepage (the platform's for None), created empty the first time."""
    require(actor, PAGE, "write")
    merchant_id = _owner(actor, merchant_id)
    _check_owner(actor, merchant_id)
    page = homepage(merchant_id)
    if page is None:
        merchant = db.session.get(Merchant, merchant_id) if merchant_id else None
        title = _("%(store)s homepage", store=merchant.name) if merchant else _("Platform homepage")
        page = Page(kind=HOME, merchant_id=merchant_id, title=title)
        db.session.add(page)
        db.session.flush()
        audit(actor, "page.create", page, {"kind": HOME})
    return page


def _slug(value, merchant_id, page_id=None):
    slug = text(value, _("Slug"), 80, required=True).lower()
    if not SLUG.match(slug):
        raise ContentError(_("Slug: use 2 to 80 lower-case letters, digits and hyphens, starting and ending "
                             "with a letter or digit (e.g. spring-sale)."))
    taken = select(Page.id).where(Page.kind == CAMPAIGN, Page.slug == slug, Page.id != (page_id or 0))
    taken = taken.where(Page.merchant_id.is_(None) if merchant_id is None else Page.merchant_id == merchant_id)
    if db.session.execute(taken).first():
        raise ContentError(_("Slug: %(slug)s is taken by another campaign page; choose another.", slug=slug))
    return slug


def create_campaign(actor, merchant_id, fields):
    """A new campaign page with an empty draft. ``fields``: title, slug, starts_at, ends_at."""
    require(actor, PAGE, "write")
    merchant_id = _owner(actor, merchant_id)
    _check_owner(actor, merchant_id)
    starts_at, ends_at = window(fields.get("starts_at"), fields.get("ends_at"))
    page = Page(kind=CAMPAIGN, merchant_id=merchant_id, title=text(fields.get("title"), _("Title"), 200, True),
                slug=_slug(fields.get("slug"), merchant_id), starts_at=starts_at, ends_at=ends_at)
    db.session.add(page)
    db.session.flush()
    audit(actor, "page.create", page, {"kind": CAMPAIGN, "slug": page.slug})
    return page


def update_page(actor, page, fields):
    """Change a page's title, and a campaign page's slug and schedule. The
    schedule applies at once (it says when the published page runs)."""
    require_record(actor, page, "write")
    before = {"title": page.title, "slug": page.slug, "starts_at": page.starts_at, "ends_at": page.ends_at}
    page.title = text(fields.get("title"), _("Title"), 200, True)
    if page.kind == CAMPAIGN:
        page.slug = _slug(fields.get("slug"), page.merchant_id, page.id)
        page.starts_at, page.ends_at = window(fields.get("starts_at"), fields.get("ends_at"))
    touch(page)
    storefront_changed()
    audit(actor, "page.update", page, {"before": before, "after": {
        "title": page.title, "slug": page.slug, "starts_at": page.starts_at, "ends_at": page.ends_at}})
    return page


def delete_page(actor, page):
    """Delete a campaign page with its versions and counts (homepages stay)."""
    require_record(actor, page, "manage")
    if page.kind != CAMPAIGN:
        raise ContentError(_("A homepage cannot be deleted; hide or remove its floors instead."))
    audit(actor, "page.delete", page, {"slug": page.slug, "title": page.title})
    page.live_version_id = None
    db.session.flush()
    db.session.delete(page)
    storefront_changed()


def linkable_product(page, product_id, field):
    """A product a page of this owner may link to: a store's page only its own products."""
    product_id = integer(product_id, field, minimum=1, required=True)
    product = db.session.get(Product, product_id)
    if product is None or (page.merchant_id is not None and product.merchant_id != page.merchant_id):
        raise ContentError(_("%(field)s: product %(id)s does not exist in this store.", field=field, id=product_id))
    return product


def add_product(actor, page, product_id):
    """Link a product to a campaign page (at the end)."""
    require_record(actor, page, "write")
    if page.kind != CAMPAIGN:
        raise ContentError(_("Only campaign pages have linked products."))
    product = linkable_product(page, product_id, _("Product"))
    if any(p.product_id == product.id for p in page.products):
        raise ContentError(_("Product: %(title)s is linked already.", title=product.title_en))
    if len(page.products) >= MAX_PRODUCTS:
        raise ContentError(_("Product: at most %(n)s products per page.", n=MAX_PRODUCTS))
    page.products.append(PageProduct(product_id=product.id, merchant_id=page.merchant_id,
                                     position=max([p.position for p in page.products], default=-1) + 1))
    touch(page)
    audit(actor, "page.product.add", page, {"product": product.id})
    return product


def remove_product(actor, page, product_id):
    """Unlink a product from a campaign page."""
    require_record(actor, page, "write")
    link = next((p for p in page.products if p.product_id == product_id), None)
    if link is None:
        raise ContentError(_("Product: %(id)s is not linked to this page.", id=product_id))
    page.products.remove(link)
    touch(page)
    audit(actor, "page.product.remove", page, {"product": product_id})


SORTS = {"title": Page.title, "created": Page.created_at, "starts": Page.starts_at}


def page_query(kind=None, q="", merchant_id=None, sort="-created"):
    """The page list's select (scope it with ``access.scoped``)."""
    query = select(Page)
    if kind in (HOME, CAMPAIGN):
        query = query.where(Page.kind == kind)
    if q:
        like = f"%{q.strip()[:80]}%"
        query = query.where(or_(Page.title.ilike(like), Page.slug.ilike(like)))
    if merchant_id == "platform":
        query = query.where(Page.merchant_id.is_(None))
    elif merchant_id:
        query = query.where(Page.merchant_id == merchant_id)
    column = SORTS.get(sort.lstrip("-"), Page.created_at)
    ordered = column.desc() if sort.startswith("-") else column.asc()
    return query.order_by(ordered, Page.id.desc())


def schedule_query(state, now):
    """Campaign pages by start time: ``running``, ``upcoming``, ``ended`` or all."""
    query = select(Page).where(Page.kind == CAMPAIGN)
    started = or_(Page.starts_at.is_(None), Page.starts_at <= now)
    not_ended = or_(Page.ends_at.is_(None), Page.ends_at > now)
    if state == "running":
        query = query.where(started, not_ended)
    elif state == "upcoming":
        query = query.where(Page.starts_at > now)
    elif state == "ended":
        query = query.where(Page.ends_at <= now)
    return query.order_by(func.coalesce(Page.starts_at, Page.created_at), Page.id)
