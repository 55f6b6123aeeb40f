"""Reading the catalog's forms: turn ``request.form`` into the plain values the
services take. The services check every value; these only pick fields."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

from .services import CatalogError

PRODUCT_FIELDS = ("title_en", "title_zh", "description_en", "description_zh", "category_id", "brand_id")
SKU_FIELDS = ("code", "barcode", "price", "list_price", "currency", "weight_g", "length_mm", "width_mm",
              "height_mm", "hs_code", "origin_country")


def product_fields(form):
    """The product's own fields."""
    return {key: form.get(key, "") for key in PRODUCT_FIELDS}


def spec_value_ids(form):
    """The ticked spec values (``spec_values`` checkboxes)."""
    return form.getlist("spec_values")


def params(form):
    """``{attribute id: value}`` from the ``param_<attribute id>`` fields."""
    return {key[len("param_"):]: value for key, value in form.items() if key.startswith("param_")}


def sku_defaults(form):
    """Code prefix, price and currency for SKUs generated from spec values."""
    return {"code_prefix": form.get("code_prefix", ""), "price": form.get("price", ""),
            "currency": form.get("currency", "")}


def sku_fields(form):
    """Every editable field of one SKU."""
    return {key: form.get(key, "") for key in SKU_FIELDS}


def _zone(name):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_to_utc(raw, zone_name):
    """A ``datetime-local`` value typed in the user's time zone, as naive UTC;
    None when empty."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise CatalogError(_("On-shelf time: %(value)s is not a date and time.", value=raw)) from None
    return local.replace(tzinfo=_zone(zone_name)).astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local_input(value, zone_name):
    """A naive UTC time as a ``datetime-local`` value in the user's zone."""
    if value is None:
        return ""
    local = value.replace(tzinfo=timezone.utc).astimezone(_zone(zone_name))
    return local.strftime("%Y-%m-%dT%H:%M")
