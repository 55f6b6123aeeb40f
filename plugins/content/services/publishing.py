"""Publishing: the draft copied into a numbered ``Version`` that the
storefront reads; the version history; rolling back publishes an earlier
version again (as a new number) and makes it the draft to go on from."""
import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import utcnow

from plugins.catalog.models import Category, Product

from ..models import Floor, PageProduct, Slot, Version
from . import PUBLISH, ContentError, require_record, storefront_changed, text
from .pages import audit, touch

FORMAT = 1


def _time(value):
    return value.isoformat() if value else None


def parse_time(value):
    """A snapshot's time back as a naive UTC datetime (or None)."""
    return datetime.fromisoformat(value) if value else None


def snapshot(page):
    """The draft as plain data: what a version keeps and a preview shows."""
    return {
        "format": FORMAT, "title": page.title,
        "floors": [{
            "key": f.key, "kind": f.kind, "title": f.title, "hidden": f.hidden,
            "starts_at": _time(f.starts_at), "ends_at": _time(f.ends_at), "rule": f.rule,
            "rule_category_id": f.rule_category_id, "item_limit": f.item_limit, "body_html": f.body_html,
            "slots": [{"key": s.key, "title": s.title, "link_type": s.link_type, "link_id": s.link_id,
                       "url": s.url, "image_id": s.image_id, "starts_at": _time(s.starts_at),
                       "ends_at": _time(s.ends_at)} for s in f.slots],
        } for f in page.floors],
        "products": [p.product_id for p in page.products],
    }


def _next_number(page):
    return (db.session.execute(select(func.max(Version.number)).where(Version.page_id == page.id)).scalar() or 0) + 1


def _publish(actor, page, data, note, restored_from=None):
    version = Version(page_id=page.id, merchant_id=page.merchant_id, number=_next_number(page),
                      snapshot=json.dumps(data, ensure_ascii=False, sort_keys=True),
                      note=text(note, _("Note"), 300), restored_from=restored_from,
                      published_at=utcnow(), published_by_id=getattr(actor, "id", None))
    db.session.add(version)
    db.session.flush()
    page.live_version_id = version.id
    page.live_version = version
    storefront_changed()
    return version


def publish(actor, page, note=""):
    """Publish the draft as the page's next version; needs ``content.publish``."""
    require_record(actor, page, "write", PUBLISH)
    if not page.floors and not page.products:
        raise ContentError(_("The draft is empty: add a floor before publishing."))
    version = _publish(actor, page, snapshot(page), note)
    audit(actor, "page.publish", page, {"version": version.number, "note": version.note})
    return version


def versions_query(page):
    """The page's versions, newest first (page through it)."""
    return select(Version).where(Version.page_id == page.id).order_by(Version.number.desc())


def versions(page):
    """The page's versions, newest first."""
    return db.session.execute(versions_query(page)).scalars().all()


def _existing(model, ids):
    ids = set(ids)
    if not ids:
        return set()
    return set(db.session.execute(select(model.id).where(model.id.in_(ids))).scalars())


def rollback(actor, page, version_id, note=""):
    """Publish an earlier version again (as a new number) and make it the draft."""
    require_record(actor, page, "write", PUBLISH)
    old = db.session.get(Version, version_id)
    if old is None or old.page_id != page.id:
        raise ContentError(_("Version: %(id)s is not a version of this page.", id=version_id))
    data = json.loads(old.snapshot)
    restore_draft(page, data)
    version = _publish(actor, page, data, note or _("Rolled back to version %(n)s", n=old.number),
                       restored_from=old.number)
    audit(actor, "page.rollback", page, {"to": old.number, "version": version.number})
    return version


def restore_draft(page, data):
    """Replace the draft's floors, slots and products with a snapshot's (keys
    kept). Products and categories deleted since are left out (the storefront
    would drop them anyway)."""
    products = _existing(Product, data.get("products", []))
    categories = _existing(Category, [f["rule_category_id"] for f in data["floors"] if f["rule_category_id"]])
    page.floors.clear()
    page.products.clear()
    db.session.flush()
    page.title = data.get("title") or page.title
    for position, f in enumerate(data["floors"]):
        floor = Floor(key=f["key"], kind=f["kind"], title=f["title"], hidden=f["hidden"], position=position,
                      merchant_id=page.merchant_id, starts_at=parse_time(f["starts_at"]),
                      ends_at=parse_time(f["ends_at"]), rule=f["rule"],
                      rule_category_id=f["rule_category_id"] if f["rule_category_id"] in categories else None,
                      item_limit=f["item_limit"], body_html=f["body_html"])
        floor.slots = [Slot(key=s["key"], position=i, title=s["title"], link_type=s["link_type"],
                            link_id=s["link_id"], url=s["url"], image_id=s["image_id"], merchant_id=page.merchant_id,
                            starts_at=parse_time(s["starts_at"]), ends_at=parse_time(s["ends_at"]))
                       for i, s in enumerate(f["slots"])]
        page.floors.append(floor)
    for position, product_id in enumerate(p for p in data.get("products", []) if p in products):
        page.products.append(PageProduct(product_id=product_id, merchant_id=page.merchant_id, position=position))
    db.session.flush()
    touch(page)
