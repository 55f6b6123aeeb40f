"""The storefront API (``/content/api/v1``): read-only JSON of published
pages for storefronts, cacheable (``ETag``, ``Cache-Control``, 304 on
``If-None-Match``), the images their slots and products show, and one endpoint that counts
impressions and clicks. Published content is public, so no route needs a
sign-in; none reads a draft. Exempt from CSRF: no route trusts a cookie."""
import json
import os
import re

from flask import Blueprint, abort, current_app, jsonify, make_response, request, send_file
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from plugins.catalog.models import SHELF_ON, Product, ProductImage
from portal import uploads
from portal.auth.ratelimit import MemoryCounter, RedisCounter
from portal.extensions import csrf, db
from portal.models import Merchant, StoredFile
from portal.plugins import is_enabled

from .models import CAMPAIGN, HOME
from .services import storefront, tracking

bp = Blueprint("content_api", __name__, url_prefix="/content/api/v1")
csrf.exempt(bp)

# the editor's drag-and-drop script, served by the portal itself (no CDN)
assets = Blueprint("content_assets", __name__, url_prefix="/content/assets",
                   static_folder=os.path.join(os.path.dirname(__file__), "static"), static_url_path="/static")

DIGEST = re.compile(r"^[0-9a-f]{64}$")
MAX_EVENT_BYTES = 8 * 1024
CALLS_PER_MINUTE = 120  # per client address: a page view sends one or two


def _error(status, message):
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    return response


def _store(code):
    """The id of the store with this code; 404 unless it exists, is active and has content switched on."""
    merchant = db.session.execute(select(Merchant).where(Merchant.code == code[:32])).scalar_one_or_none()
    if merchant is None or not merchant.is_active or not is_enabled("content", merchant.id):
        abort(404)
    return merchant.id


def _cached(result):
    if result is None:
        return _error(404, _("Nothing is published here."))
    headers = {"ETag": result.etag, "Cache-Control": f"public, max-age={result.max_age}",
               "Access-Control-Allow-Origin": "*"}
    if result.etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = make_response("", 304)
    else:
        response = make_response(result.body)
        response.mimetype = "application/json"
    response.headers.update(headers)
    return response


@bp.get("/home")
def platform_home():
    """The platform homepage as published, at this moment."""
    return _cached(storefront.answer(HOME))


@bp.get("/stores/<code>/home")
def store_home(code):
    """A store's homepage as published (the store named by its merchant code);
    404 when the store switched content off."""
    return _cached(storefront.answer(HOME, _store(code)))


@bp.get("/campaigns/<slug>")
def platform_campaign(slug):
    """A platform campaign page while it runs."""
    return _cached(storefront.answer(CAMPAIGN, None, slug[:80]))


@bp.get("/stores/<code>/campaigns/<slug>")
def store_campaign(code, slug):
    """A store's campaign page while it runs."""
    return _cached(storefront.answer(CAMPAIGN, _store(code), slug[:80]))


@bp.get("/images/<digest>")
def image(digest):
    """An image uploaded for a slot, or an image of a product on the shelf,
    named by the SHA-256 of its content: a draft's image cannot be found by
    counting ids. Never any other stored file."""
    if not DIGEST.match(digest):
        abort(404)
    on_shelf = select(ProductImage.file_id).join(Product, Product.id == ProductImage.product_id).where(
        Product.shelf_status == SHELF_ON)
    stored = db.session.execute(select(StoredFile).where(StoredFile.sha256 == digest, or_(
        StoredFile.kind == "content.image",
        and_(StoredFile.kind == "catalog.image", StoredFile.id.in_(on_shelf)))).limit(1)).scalar()
    if stored is None:
        abort(404)
    response = send_file(uploads.stored_path(stored), mimetype=stored.content_type, conditional=True)
    # the file behind an id never changes
    response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    return response


def _limiter():
    counter = current_app.extensions.get("content.event_counter")
    if counter is None:
        url = current_app.config.get("PORTAL_REDIS_URL")
        counter = current_app.extensions["content.event_counter"] = \
            _EventCounter(url) if url else MemoryCounter()
    return counter


class _EventCounter(RedisCounter):
    prefix = "portal:content-events:"


@bp.post("/pages/<int:page_id>/events")
def events(page_id):
    """Count impressions and clicks: ``{"events": [{"floor": key, "slot": key,
    "type": "impression"|"click"}, ...]}``. Any JSON body is read (a
    browser's ``sendBeacon`` sends text/plain); at most 8 KB and 50 events."""
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        return _error(413, _("The body is larger than %(n)s bytes.", n=MAX_EVENT_BYTES))
    raw = request.stream.read(MAX_EVENT_BYTES + 1)
    if len(raw) > MAX_EVENT_BYTES:
        return _error(413, _("The body is larger than %(n)s bytes.", n=MAX_EVENT_BYTES))
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        return _error(400, _("The body is not valid JSON."))
    if not isinstance(data, dict):
        return _error(400, _("Send an object with a list of events."))
    address = f"ip:{request.remote_addr or ''}"
    _limiter().hit(address, 60)
    count, retry = _limiter().status(address, 60)
    if count > CALLS_PER_MINUTE:
        response = _error(429, _("Too many calls from this address; try again in %(n)s seconds.", n=retry))
        response.headers["Retry-After"] = str(retry)
        return response
    try:
        counted = tracking.record_events(page_id, data.get("events"))
    except LookupError:
        return _error(404, _("Nothing is published here."))
    except tracking.TrackingRefused as exc:
        db.session.rollback()
        return _error(400, str(exc))
    db.session.commit()
    response = jsonify({"counted": counted})
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
