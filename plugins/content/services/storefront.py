"""What the storefront sees: a published version (or a draft, for the
preview) resolved at a moment against the catalog.

Only floors and slots live at that moment are kept (a window includes its
start and excludes its end); hidden floors are left out; products off the
shelf, inactive categories and brands, and campaign pages not running drop
out; a floor left with nothing to show is dropped. Answers of the JSON API
are cached per process until the content counter moves (publishing, a
rollback, a product going on or off the shelf), the next start or end time
comes, or a minute passes (sales ranks, prices)."""
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_request_context, url_for
from sqlalchemy import and_, func, select

from plugins.catalog.models import SHELF_ON, Brand, Category, Product, ProductImage, Sku
from portal.extensions import db
from portal.models import StoredFile, utcnow
from portal.plugins import call, implementers, versions

from ..models import (CAMPAIGN, LINK_BRAND, LINK_CAMPAIGN, LINK_CATEGORY, LINK_PRODUCT, PRODUCT_GRID, RICH_TEXT,
                      RULE_TOP_SELLERS, Page, Version)
from . import VERSION_KEY, is_live
from .publishing import parse_time

MAX_AGE = 60  # seconds a storefront (and this process) may keep an answer
SALES_DAYS = 30
CACHE_LIMIT = 2000


# -- resolving -----------------------------------------------------------------------

def resolve(page, data, now, version=None):
    """The page as the storefront shows it at ``now``: a dict ready for JSON."""
    floors = [f for f in data["floors"] if not f["hidden"] and is_live(parse_time(f["starts_at"]),
                                                                        parse_time(f["ends_at"]), now)]
    for floor in floors:
        floor["live_slots"] = [s for s in floor["slots"]
                               if is_live(parse_time(s["starts_at"]), parse_time(s["ends_at"]), now)]
    ranked = {f["key"]: _ranked(page, f, now) for f in floors
              if f["kind"] == PRODUCT_GRID and f["rule"] == RULE_TOP_SELLERS}
    lookups = _lookups(floors, ranked, data.get("products", []), now)
    shown = []
    for floor in floors:
        item = _floor(floor, ranked.get(floor["key"]), lookups)
        if item is not None:
            shown.append(item)
    body = {"page": {"id": page.id, "kind": page.kind, "slug": page.slug, "title": data.get("title") or page.title,
                     "merchant_id": page.merchant_id,
                     "version": version.number if version else None,
                     "published_at": version.published_at.isoformat() + "Z" if version else None,
                     "starts_at": _iso(page.starts_at), "ends_at": _iso(page.ends_at)},
            "floors": shown}
    if page.kind == CAMPAIGN:
        body["products"] = [lookups[LINK_PRODUCT][pid] for pid in data.get("products", [])
                            if pid in lookups[LINK_PRODUCT]]
    return body


def _iso(value):
    return value.isoformat() + "Z" if value else None


def _floor(floor, ranked, lookups):
    out = {"key": floor["key"], "type": floor["kind"], "title": floor["title"]}
    if floor["kind"] == RICH_TEXT:
        if not floor["body_html"]:
            return None
        out["html"] = floor["body_html"]
        return out
    if ranked is not None:
        source, product_ids = ranked
        products = lookups[LINK_PRODUCT]
        out["source"] = source
        out["items"] = [{"key": f"p{pid}", "title": products[pid]["title_en"], "image": products[pid]["image"],
                         "link": products[pid]} for pid in product_ids if pid in products][:floor["item_limit"]]
    else:
        out["items"] = [item for item in (_slot(s, lookups) for s in floor["live_slots"]) if item is not None]
        if floor["kind"] == PRODUCT_GRID:
            out["items"] = out["items"][:floor["item_limit"]]
    return out if out["items"] else None


def _slot(slot, lookups):
    if slot["link_type"] == "url":
        link = {"type": "url", "url": slot["url"]}
    else:
        link = lookups[slot["link_type"]].get(slot["link_id"])
        if link is None:
            return None
    digest = lookups["image"].get(slot["image_id"])
    # an entry's own image, else (for a product) the product's first
    return {"key": slot["key"], "title": slot["title"] or link.get("title_en") or "",
            "image": image_url(digest) if digest else link.get("image"), "link": link}


def image_url(digest):
    """The public address of a slot's image, by its content's SHA-256 (its path
    on this host outside a request)."""
    if has_request_context():
        return url_for("content_api.image", digest=digest)
    return f"/content/api/v1/images/{digest}"


def _wanted(floors, ranked, page_products):
    ids = {LINK_PRODUCT: set(page_products), LINK_CATEGORY: set(), LINK_BRAND: set(), LINK_CAMPAIGN: set()}
    for floor in floors:
        for slot in floor["live_slots"]:
            if slot["link_type"] in ids:
                ids[slot["link_type"]].add(slot["link_id"])
    for _source, product_ids in ranked.values():
        ids[LINK_PRODUCT].update(product_ids)
    return ids


def _lookups(floors, ranked, page_products, now):
    """``{link type: {id: link dict}}`` for every target still showable."""
    ids = _wanted(floors, ranked, page_products)
    images = {s["image_id"] for f in floors for s in f["live_slots"] if s["image_id"]}
    return {LINK_PRODUCT: _products(ids[LINK_PRODUCT]), LINK_CATEGORY: _categories(ids[LINK_CATEGORY]),
            LINK_BRAND: _brands(ids[LINK_BRAND]), LINK_CAMPAIGN: _campaigns(ids[LINK_CAMPAIGN], now),
            "image": _images(images)}


def _images(ids):
    if not ids:
        return {}
    return dict(db.session.execute(select(StoredFile.id, StoredFile.sha256).where(StoredFile.id.in_(ids))).all())


def _products(ids):
    if not ids:
        return {}
    price = (select(Sku.product_id, func.min(Sku.price).label("price"), func.min(Sku.currency).label("currency"))
             .where(Sku.product_id.in_(ids), Sku.active.is_(True)).group_by(Sku.product_id).subquery())
    rows = db.session.execute(
        select(Product.id, Product.merchant_id, Product.title_en, Product.title_zh, price.c.price, price.c.currency)
        .outerjoin(price, price.c.product_id == Product.id)
        .where(Product.id.in_(ids), Product.shelf_status == SHELF_ON)).all()
    pictures = _first_pictures([r.id for r in rows])
    return {r.id: {"type": LINK_PRODUCT, "id": r.id, "merchant_id": r.merchant_id, "title_en": r.title_en,
                   "title_zh": r.title_zh, "price": None if r.price is None else f"{r.price:.2f}",
                   "currency": r.currency, "image": image_url(pictures[r.id]) if r.id in pictures else None}
            for r in rows}


def _first_pictures(product_ids):
    """``{product id: SHA-256}`` of each product's first image (lowest position, then id)."""
    if not product_ids:
        return {}
    first = (select(ProductImage.product_id, func.min(ProductImage.position).label("position"))
             .where(ProductImage.product_id.in_(product_ids)).group_by(ProductImage.product_id).subquery())
    rows = db.session.execute(
        select(ProductImage.product_id, StoredFile.sha256)
        .join(first, and_(first.c.product_id == ProductImage.product_id, first.c.position == ProductImage.position))
        .join(StoredFile, StoredFile.id == ProductImage.file_id).order_by(ProductImage.id.desc())).all()
    return dict(rows)  # ids descending: the lowest id of a tied position is written last


def _categories(ids):
    if not ids:
        return {}
    rows = db.session.execute(select(Category.id, Category.name_en, Category.name_zh)
                              .where(Category.id.in_(ids), Category.active.is_(True))).all()
    return {r.id: {"type": LINK_CATEGORY, "id": r.id, "title_en": r.name_en, "title_zh": r.name_zh} for r in rows}


def _brands(ids):
    if not ids:
        return {}
    rows = db.session.execute(select(Brand.id, Brand.name_en, Brand.name_zh, Brand.logo_id)
                              .where(Brand.id.in_(ids), Brand.active.is_(True))).all()
    return {r.id: {"type": LINK_BRAND, "id": r.id, "title_en": r.name_en, "title_zh": r.name_zh} for r in rows}


def _campaigns(ids, now):
    if not ids:
        return {}
    rows = db.session.execute(select(Page.id, Page.slug, Page.title, Page.merchant_id, Page.starts_at, Page.ends_at)
                              .where(Page.id.in_(ids), Page.kind == CAMPAIGN,
                                     Page.live_version_id.is_not(None))).all()
    return {r.id: {"type": LINK_CAMPAIGN, "id": r.id, "slug": r.slug, "merchant_id": r.merchant_id,
                   "title_en": r.title, "title_zh": r.title}
            for r in rows if is_live(r.starts_at, r.ends_at, now)}


# -- top sellers ---------------------------------------------------------------------

def sales_available(merchant_id=None):
    """Does an enabled plugin keep sales figures (the orders plugin)?"""
    return bool(implementers("content_sales_ranking", merchant_id=merchant_id))


def _subtree(category_id):
    category = db.session.get(Category, category_id) if category_id else None
    if category is None:
        return []
    return list(db.session.execute(select(Category.id).where(Category.path.like(f"{category.path}%"))).scalars())


def _ranked(page, floor, now):
    """``(source, [product id, ...])``: ``sales`` from the sales figures, or
    ``newest`` (the latest products put on the shelf) when none are kept."""
    category_ids = _subtree(floor["rule_category_id"])
    if not category_ids:
        return "sales", []
    # a few more than shown: some may be off the shelf by now
    limit = floor["item_limit"] * 2 + 4
    if sales_available(page.merchant_id):
        since = now - timedelta(days=SALES_DAYS)
        ranked = []
        for answer in call("content_sales_ranking", merchant_id=page.merchant_id, category_ids=category_ids,
                           since=since, limit=limit):
            ranked.extend(pid for pid, _units in answer)
        if ranked:
            return "sales", ranked[:limit]
    query = (select(Product.id).where(Product.category_id.in_(category_ids), Product.shelf_status == SHELF_ON)
             .order_by(Product.listed_at.desc(), Product.id.desc()).limit(limit))
    if page.merchant_id is not None:
        query = query.where(Product.merchant_id == page.merchant_id)
    return "newest", list(db.session.execute(query).scalars())


# -- the published page, cached --------------------------------------------------------

@dataclass
class Answer:
    """A cached storefront answer: the JSON bytes, their ETag, how long a cache may keep them."""

    body: bytes
    etag: str
    max_age: int
    expires: float
    page_id: int


def live_page(kind, merchant_id=None, slug=None):
    """The published page a storefront asks for, or None (none, or a campaign not running now)."""
    query = select(Page).where(Page.kind == kind, Page.live_version_id.is_not(None))
    query = query.where(Page.merchant_id.is_(None) if merchant_id is None else Page.merchant_id == merchant_id)
    if slug is not None:
        query = query.where(Page.slug == slug)
    page = db.session.execute(query.order_by(Page.id).limit(1)).scalar_one_or_none()
    if page is None or (kind == CAMPAIGN and not is_live(page.starts_at, page.ends_at, utcnow())):
        return None
    return page


def _cache():
    return current_app.extensions.setdefault("content.storefront_cache", {})


def answer(kind, merchant_id=None, slug=None):
    """The storefront's answer for a page (from this process's cache when still
    valid), or None when nothing is published or running."""
    key = (kind, merchant_id, slug, versions().get(VERSION_KEY, 0))
    cache = _cache()
    hit = cache.get(key)
    if hit is not None and hit.expires > time.monotonic():
        return hit
    page = live_page(kind, merchant_id, slug)
    if page is None:
        return None
    now = utcnow()
    version = page.live_version
    body = json.dumps(resolve(page, json.loads(version.snapshot), now, version), ensure_ascii=False,
                      separators=(",", ":"), sort_keys=True).encode()
    max_age = _max_age(page, version, now)
    result = Answer(body, '"%s"' % hashlib.sha256(body).hexdigest()[:32], max_age, time.monotonic() + max_age,
                    page.id)
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = result
    return result


def _max_age(page, version, now):
    """Seconds until something may change: a minute at most, less when a start or end time comes sooner."""
    data = json.loads(version.snapshot)
    times = [page.starts_at, page.ends_at]
    for floor in data["floors"]:
        times += [parse_time(floor["starts_at"]), parse_time(floor["ends_at"])]
        times += [parse_time(s["starts_at"]) for s in floor["slots"]] + [parse_time(s["ends_at"]) for s in floor["slots"]]
    coming = [(t - now).total_seconds() for t in times if t is not None and t > now]
    return max(1, int(min([MAX_AGE] + coming)))


def published_keys(page_id):
    """``{floor key: {slot key, ...}}`` of a page's live version, and whether
    its floor ranks products by rule: what the tracking endpoint accepts."""
    page = db.session.get(Page, page_id)
    if page is None or page.live_version_id is None:
        return None
    version = db.session.get(Version, page.live_version_id)
    keys = {}
    for floor in json.loads(version.snapshot)["floors"]:
        if not floor["hidden"]:
            keys[floor["key"]] = ({s["key"] for s in floor["slots"]}, floor["rule"] == RULE_TOP_SELLERS)
    return page, keys
