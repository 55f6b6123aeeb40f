"""The draft's floors and slots: floors are added, edited in place, reordered,
duplicated, hidden and deleted; entries are added, edited in place, moved and
removed, each one's link checked against the catalog and its image by
``portal.uploads``; ``link_targets`` offers what an entry may link to."""
from urllib.parse import urlsplit

import nh3
from flask_babel import gettext as _

from sqlalchemy import or_, select

from plugins.catalog.models import Brand, Category, Product
from plugins.catalog.services.queries import search_condition
from portal import uploads
from portal.extensions import db

from ..models import (BANNER, BRAND_WALL, CAMPAIGN, CAMPAIGN_BLOCK, CATEGORY_NAV, FLOOR_KINDS, LINK_BRAND,
                      LINK_CAMPAIGN, LINK_CATEGORY, LINK_PRODUCT, LINK_TYPES, LINK_URL, PRODUCT_GRID, RICH_TEXT,
                      RULE_CHOSEN, RULE_TOP_SELLERS, Floor, Page, Slot)
from . import ContentError, integer, new_key, require_record, text, window
from .pages import audit, linkable_product, touch

MAX_FLOORS = 40
MAX_SLOTS = 24
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
IMAGE_MAX_BYTES = 3 * 1024 * 1024
# what a floor's slots may link to
SLOT_LINKS = {
    BANNER: (LINK_PRODUCT, LINK_CATEGORY, LINK_BRAND, LINK_CAMPAIGN, LINK_URL),
    CATEGORY_NAV: (LINK_CATEGORY,),
    PRODUCT_GRID: (LINK_PRODUCT,),
    BRAND_WALL: (LINK_BRAND,),
    CAMPAIGN_BLOCK: (LINK_CAMPAIGN,),
    RICH_TEXT: (),
}
RICH_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "h3", "h4", "a", "span", "blockquote"}


def _changed(actor, floor, action, summary=""):
    touch(floor.page)
    audit(actor, f"floor.{action}", floor.page, {"floor": floor.key, **(summary or {})})


def add_floor(actor, page, kind, title=""):
    """Append a floor of ``kind`` to the draft."""
    require_record(actor, page, "write")
    if kind not in FLOOR_KINDS:
        raise ContentError(_("Floor type: choose one of the listed types."))
    if len(page.floors) >= MAX_FLOORS:
        raise ContentError(_("A page has at most %(n)s floors; remove one first.", n=MAX_FLOORS))
    floor = Floor(kind=kind, key=new_key(), merchant_id=page.merchant_id, title=text(title, _("Title"), 200),
                  position=max([f.position for f in page.floors], default=-1) + 1)
    page.floors.append(floor)
    db.session.flush()
    _changed(actor, floor, "add", {"kind": kind})
    return floor


def update_floor(actor, floor, fields):
    """Edit a floor in place: title, window, and by type the rule or the text."""
    require_record(actor, floor.page, "write")
    floor.title = text(fields.get("title"), _("Title"), 200)
    floor.starts_at, floor.ends_at = window(fields.get("starts_at"), fields.get("ends_at"))
    if floor.kind == PRODUCT_GRID:
        floor.rule = fields.get("rule") or RULE_CHOSEN
        if floor.rule not in (RULE_CHOSEN, RULE_TOP_SELLERS):
            raise ContentError(_("Products: choose the products or top sellers."))
        floor.item_limit = integer(fields.get("item_limit"), _("Products shown"), 1, MAX_SLOTS) or 8
        category_id = integer(fields.get("rule_category_id"), _("Category"), minimum=1)
        if floor.rule == RULE_TOP_SELLERS:
            if category_id is None or db.session.get(Category, category_id) is None:
                raise ContentError(_("Category: choose the category whose top sellers are shown."))
        floor.rule_category_id = category_id if floor.rule == RULE_TOP_SELLERS else None
    if floor.kind == RICH_TEXT:
        floor.body_html = clean_html(text(fields.get("body_html"), _("Text"), 20000))
    _changed(actor, floor, "update", {"title": floor.title})
    return floor


def clean_html(html):
    """Rich text with only simple formatting and http(s) links."""
    return nh3.clean(html, tags=RICH_TAGS, attributes={"a": {"href", "title"}}, url_schemes={"http", "https"})


def reorder_floors(actor, page, floor_ids):
    """Put the draft's floors in the order of ``floor_ids`` (every floor once)."""
    require_record(actor, page, "write")
    try:
        wanted = [int(i) for i in floor_ids]
    except (TypeError, ValueError):
        raise ContentError(_("Order: send the floors' ids.")) from None
    floors = {f.id: f for f in page.floors}
    if sorted(wanted) != sorted(floors):
        raise ContentError(_("Order: the page changed meanwhile; reload it and try again."))
    for position, floor_id in enumerate(wanted):
        floors[floor_id].position = position
    page.floors.sort(key=lambda f: f.position)
    touch(page)
    audit(actor, "floor.reorder", page, {"order": [floors[i].key for i in wanted]})


def move_floor(actor, floor, step):
    """Move a floor one place up (-1) or down (+1)."""
    ids = [f.id for f in floor.page.floors]
    index = ids.index(floor.id)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        reorder_floors(actor, floor.page, ids)


def duplicate_floor(actor, floor):
    """A copy of a floor and its slots, right below it, with new keys (its own counts)."""
    page = floor.page
    require_record(actor, page, "write")
    if len(page.floors) >= MAX_FLOORS:
        raise ContentError(_("A page has at most %(n)s floors; remove one first.", n=MAX_FLOORS))
    copy = Floor(kind=floor.kind, key=new_key(), merchant_id=floor.merchant_id, title=floor.title,
                 hidden=floor.hidden, starts_at=floor.starts_at, ends_at=floor.ends_at, rule=floor.rule,
                 rule_category_id=floor.rule_category_id, item_limit=floor.item_limit, body_html=floor.body_html)
    copy.slots = [Slot(key=new_key(), merchant_id=s.merchant_id, position=s.position, title=s.title,
                       link_type=s.link_type, link_id=s.link_id, url=s.url, image_id=s.image_id,
                       starts_at=s.starts_at, ends_at=s.ends_at) for s in floor.slots]
    for other in page.floors:
        if other.position > floor.position:
            other.position += 1
    copy.position = floor.position + 1
    page.floors.append(copy)
    page.floors.sort(key=lambda f: (f.position, f.id or 0))
    db.session.flush()
    _changed(actor, copy, "duplicate", {"from": floor.key})
    return copy


def set_hidden(actor, floor, hidden):
    """Hide a floor (kept in the draft, left out when published) or show it again."""
    require_record(actor, floor.page, "write")
    floor.hidden = bool(hidden)
    _changed(actor, floor, "hide" if hidden else "show")
    return floor


def delete_floor(actor, floor):
    """Remove a floor and its slots from the draft."""
    page = floor.page
    require_record(actor, page, "write")
    _changed(actor, floor, "delete", {"kind": floor.kind, "title": floor.title})
    page.floors.remove(floor)
    for position, other in enumerate(page.floors):
        other.position = position


# -- slots -------------------------------------------------------------------------

def _link(page, kind, fields):
    """``(link_type, link_id, url)`` checked against what the floor allows and what exists."""
    link_type = fields.get("link_type") or ""
    if link_type not in SLOT_LINKS[kind]:
        allowed = ", ".join(_(LINK_TYPES[t]) for t in SLOT_LINKS[kind])
        raise ContentError(_("Link: this floor's entries link to %(allowed)s.", allowed=allowed)
                           if allowed else _("Rich text floors have no entries."))
    if link_type == LINK_URL:
        url = text(fields.get("url"), _("Web address"), 500, required=True)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ContentError(_("Web address: give a full address starting with https:// or http://."))
        return link_type, None, url
    field = _(LINK_TYPES[link_type])
    if link_type == LINK_PRODUCT:
        return link_type, linkable_product(page, fields.get("link_id"), field).id, ""
    target_id = integer(fields.get("link_id"), field, minimum=1, required=True)
    if link_type == LINK_CATEGORY:
        target = db.session.get(Category, target_id)
        ok = target is not None and target.active
    elif link_type == LINK_BRAND:
        target = db.session.get(Brand, target_id)
        ok = target is not None and target.active
    else:
        target = db.session.get(Page, target_id)
        # a store links to its own campaigns and the platform's; the platform only to its own
        ok = target is not None and target.kind == CAMPAIGN and target.merchant_id in (None, page.merchant_id)
    if not ok:
        raise ContentError(_("%(field)s: %(id)s does not exist or cannot be linked here.", field=field, id=target_id))
    return link_type, target_id, ""


def _image(actor, page, file_storage):
    if file_storage is None or not getattr(file_storage, "filename", ""):
        return None
    try:
        return uploads.store_upload(file_storage, "content.image", merchant_id=page.merchant_id, actor=actor,
                                    allowed=IMAGE_TYPES, max_bytes=IMAGE_MAX_BYTES)
    except uploads.UploadRejected as exc:
        raise ContentError(_("Image: %(problem)s", problem=exc)) from None


def _fill_slot(actor, slot, floor, fields, image_file):
    slot.link_type, slot.link_id, slot.url = _link(floor.page, floor.kind, fields)
    slot.title = text(fields.get("title"), _("Title"), 200)
    slot.starts_at, slot.ends_at = window(fields.get("starts_at"), fields.get("ends_at"))
    stored = _image(actor, floor.page, image_file)
    if stored is not None:
        slot.image_id = stored.id
    if floor.kind == BANNER and slot.image_id is None:
        raise ContentError(_("Image: a banner needs an image."))


def add_slot(actor, floor, fields, image_file=None):
    """Append an entry to a floor; the image (optional but for banners) is checked and stored."""
    require_record(actor, floor.page, "write")
    if len(floor.slots) >= MAX_SLOTS:
        raise ContentError(_("A floor has at most %(n)s entries; remove one first.", n=MAX_SLOTS))
    slot = Slot(key=new_key(), merchant_id=floor.merchant_id,
                position=max([s.position for s in floor.slots], default=-1) + 1)
    _fill_slot(actor, slot, floor, fields, image_file)
    floor.slots.append(slot)
    db.session.flush()
    _changed(actor, floor, "slot.add", {"slot": slot.key, "link": f"{slot.link_type}:{slot.link_id or slot.url}"})
    return slot


def update_slot(actor, slot, fields, image_file=None):
    """Change an entry in place: its link, title and window, and its image
    when a new one is given (else it keeps its own). Checked as when added;
    a refusal leaves the entry as it was (the caller rolls back)."""
    floor = slot.floor
    require_record(actor, floor.page, "write")
    _fill_slot(actor, slot, floor, fields, image_file)
    _changed(actor, floor, "slot.edit", {"slot": slot.key, "link": f"{slot.link_type}:{slot.link_id or slot.url}"})
    return slot


TARGETS_SHOWN = 20


def _named(q, number, *columns):
    """Rows whose id is ``number`` or whose ``columns`` contain ``q`` (any case)."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    by_name = or_(*(column.ilike(pattern, escape="\\") for column in columns))
    return or_(columns[0].table.c.id == number, by_name) if number else by_name


def link_targets(page, link_type, q=""):
    """``[(id, label)]``: what an entry of ``page`` may link to of ``link_type``,
    matching ``q`` (a name, a title, a SKU code or the number itself), at most
    ``TARGETS_SHOWN``; the same reach as the check when saving."""
    q = (q or "").strip()[:100]
    number = int(q) if q.isdigit() else None
    if link_type == LINK_PRODUCT:
        query = select(Product.id, Product.title_en, Product.title_zh).order_by(Product.id.desc())
        if page.merchant_id is not None:
            query = query.where(Product.merchant_id == page.merchant_id)
        if q:
            query = query.where(or_(Product.id == number, search_condition(q)) if number else search_condition(q))
    elif link_type in (LINK_CATEGORY, LINK_BRAND):
        model = Category if link_type == LINK_CATEGORY else Brand
        query = select(model.id, model.name_en, model.name_zh).where(model.active.is_(True)).order_by(model.name_en)
        if q:
            query = query.where(_named(q, number, model.name_en, model.name_zh))
    elif link_type == LINK_CAMPAIGN:
        # a store links to its own campaigns and the platform's; the platform only to its own
        owners = Page.merchant_id.is_(None) if page.merchant_id is None else \
            or_(Page.merchant_id.is_(None), Page.merchant_id == page.merchant_id)
        query = select(Page.id, Page.title, Page.slug).where(Page.kind == CAMPAIGN, owners).order_by(Page.id.desc())
        if q:
            query = query.where(_named(q, number, Page.title, Page.slug))
    else:
        return []
    return [(row[0], " / ".join(part for part in row[1:] if part)) for row in
            db.session.execute(query.limit(TARGETS_SHOWN))]


def move_slot(actor, slot, step):
    """Move an entry one place up (-1) or down (+1) in its floor."""
    floor = slot.floor
    require_record(actor, floor.page, "write")
    slots = list(floor.slots)
    index = slots.index(slot)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(slots):
        slots[index], slots[target] = slots[target], slots[index]
        for position, other in enumerate(slots):
            other.position = position
        floor.slots.sort(key=lambda s: s.position)
        _changed(actor, floor, "slot.move", {"slot": slot.key})


def delete_slot(actor, slot):
    """Remove an entry from its floor."""
    floor = slot.floor
    require_record(actor, floor.page, "write")
    _changed(actor, floor, "slot.delete", {"slot": slot.key})
    floor.slots.remove(slot)
