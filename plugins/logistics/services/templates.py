"""Freight templates: create, change (the zones replaced as a whole) and
delete, with the checks the editor shows per field."""
from flask_babel import gettext as _
from sqlalchemy import select

from plugins.catalog.models import Category
from portal.extensions import db
from portal.models import Merchant, utcnow

from .. import regions
from ..models import BASES, BY_AMOUNT, FreightTemplate, FreightZone
from .core import TEMPLATE, audit, decimal, reach, text, whole
from .errors import InvalidValue, NotFound

MAX_ZONES = 100


def clean_zone(number, data):
    """One zone row of the form as ``FreightZone`` columns; fields named ``zone N: ...``."""
    def name(field):
        return _("zone %(n)s: %(field)s", n=number, field=field)
    codes = text(data.get("regions"), name(_("regions")), 1000, required=True).upper().replace(",", " ").split()
    unknown = [code for code in codes if not regions.exists(code)]
    if unknown:
        raise InvalidValue(name(_("regions")), _("%(codes)s: not a country (CN), a province of China (CN-GD), "
                                                 "a city of China (440300) nor * for everywhere else.",
                                                 codes=", ".join(unknown)))
    no_delivery = bool(data.get("no_delivery"))
    return {"regions": " ".join(dict.fromkeys(codes)), "no_delivery": no_delivery,
            "first_units": decimal(data.get("first_units") or "1", name(_("first units")), positive=True),
            "first_fee": decimal(data.get("first_fee") or "0", name(_("first fee"))),
            "additional_units": decimal(data.get("additional_units") or "1", name(_("additional units")),
                                        positive=True),
            "additional_fee": decimal(data.get("additional_fee") or "0", name(_("additional fee"))),
            "free_over_amount": decimal(data.get("free_over_amount"), name(_("free over amount")), required=False),
            "free_over_count": whole(data.get("free_over_count"), name(_("free over count")), required=False)}


def clean(data):
    """The template's columns and zones from the editor's fields."""
    basis = data.get("basis") or ""
    if basis not in BASES:
        raise InvalidValue(_("basis"), _("choose items, weight, volumetric weight or order amount."))
    zones = list(data.get("zones") or ())
    if not zones:
        raise InvalidValue(_("zones"), _("add at least one zone."))
    if len(zones) > MAX_ZONES:
        raise InvalidValue(_("zones"), _("at most %(n)s zones.", n=MAX_ZONES))
    cleaned = [clean_zone(n, zone) for n, zone in enumerate(zones, start=1)]
    seen = {}
    for n, zone in enumerate(cleaned, start=1):
        for code in zone["regions"].split():
            if code in seen:
                raise InvalidValue(_("zone %(n)s: regions", n=n), _("%(code)s is already in zone %(other)s.",
                                                                      code=code, other=seen[code]))
            seen[code] = n
    divisor = whole(data.get("volume_divisor") or "6000", _("volume divisor"))
    if basis == BY_AMOUNT:
        divisor = 6000  # not used: keep the default
    return {"name": text(data.get("name"), _("name"), 120, required=True), "basis": basis,
            "volume_divisor": divisor}, cleaned


def _category(raw):
    if raw in (None, ""):
        return None
    try:
        category = db.session.get(Category, int(raw))
    except (TypeError, ValueError):
        category = None
    if category is None:
        raise InvalidValue(_("category"), _("category %(id)s does not exist; choose one from the list.", id=raw))
    return category.id


def _unique(merchant_id, category_id, template_id=None):
    query = select(FreightTemplate.id).where(FreightTemplate.merchant_id == merchant_id)
    query = query.where(FreightTemplate.category_id.is_(None) if category_id is None
                        else FreightTemplate.category_id == category_id)
    other = db.session.execute(query).scalar()
    if other is not None and other != template_id:
        raise InvalidValue(_("category"), _("the merchant already has a store default template") if category_id is None
                           else _("the merchant already has a template for this category; change that one."))


def create_template(actor, merchant_id, data):
    """A new template for ``merchant_id`` (its store default when no category is chosen)."""
    if merchant_id is None or db.session.get(Merchant, merchant_id) is None:
        raise InvalidValue(_("merchant"), _("choose the merchant."))
    reach(actor, TEMPLATE, "write", merchant_id, _("Merchant"), merchant_id)
    columns, zones = clean(data)
    category_id = _category(data.get("category_id"))
    _unique(merchant_id, category_id)
    template = FreightTemplate(merchant_id=merchant_id, category_id=category_id, updated_at=utcnow(), **columns,
                               zones=[FreightZone(position=n, **zone) for n, zone in enumerate(zones)])
    db.session.add(template)
    db.session.flush()
    audit("template_create", actor, template.name, merchant_id, id=template.id, category=category_id,
          basis=template.basis, zones=len(zones))
    return template


def update_template(actor, template_id, data):
    """Change a template: its name, basis, category and all its zones at once."""
    template = db.session.get(FreightTemplate, template_id)
    if template is None:
        raise NotFound(_("Template"), template_id)
    reach(actor, TEMPLATE, "write", template.merchant_id, _("Template"), template_id)
    columns, zones = clean(data)
    category_id = _category(data.get("category_id"))
    _unique(template.merchant_id, category_id, template.id)
    for key, value in columns.items():
        setattr(template, key, value)
    template.category_id, template.updated_at = category_id, utcnow()
    template.zones.clear()
    db.session.flush()
    template.zones.extend(FreightZone(position=n, **zone) for n, zone in enumerate(zones))
    db.session.flush()
    audit("template_update", actor, template.name, template.merchant_id, id=template.id, category=category_id,
          basis=template.basis, zones=len(zones))
    return template


def delete_template(actor, template_id):
    """Delete a template (``manage``); orders keep the freight they were charged."""
    template = db.session.get(FreightTemplate, template_id)
    if template is None:
        raise NotFound(_("Template"), template_id)
    reach(actor, TEMPLATE, "manage", template.merchant_id, _("Template"), template_id)
    audit("template_delete", actor, template.name, template.merchant_id, id=template.id)
    db.session.delete(template)
    db.session.flush()
