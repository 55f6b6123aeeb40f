"""SKUs: generated from the product's chosen spec values (their cartesian
product), each with its own code, barcode, prices, freight and customs data.

Adding a spec value later creates only the combinations that do not exist
yet: existing SKUs (codes, prices, barcodes) are never touched. Money is parsed
as ``Decimal`` and must fit the currency's minor unit (no silent rounding).
"""
import itertools
import re

from babel import Locale
from flask_babel import gettext as _
from portal import money
from portal.audit import record
from portal.extensions import db
from portal.i18n import N_
from portal.models import Currency, utcnow
from sqlalchemy import select

from ..models import SPEC, AttributeValue, ProductSpecValue, Sku, SkuOption
from . import CatalogError, integer, library, require, require_record, review, text

RESOURCE = "catalog.product"
MAX_SKUS = 500
SKU_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
BARCODE = re.compile(r"^[A-Za-z0-9-]{1,64}$")
HS_CODE = re.compile(r"^\d{6,10}$")
# CLDR lists these as regions, but goods are not made in them
NOT_COUNTRIES = {"ZZ", "EU", "EZ", "UN", "QO"}


# -- field checks ---------------------------------------------------------------------

def parse_money(raw, currency, field, required=True):
    """A non-negative amount that fits the currency's decimals, or None."""
    if raw is None or str(raw).strip() == "":
        if required:
            raise CatalogError(_("%(field)s: required.", field=_(field)))
        return None
    try:
        amount = money.to_decimal(raw, _(field))
    except money.MoneyError as exc:
        raise CatalogError(str(exc)) from None
    if amount < 0:
        raise CatalogError(_("%(field)s: must not be negative.", field=_(field)))
    decimals = money.minor_unit(currency)
    if amount != money.quantize(amount, currency):
        raise CatalogError(_("%(field)s: %(currency)s amounts have at most %(n)s decimal(s); %(value)s has more.",
                             field=_(field), currency=currency, n=decimals, value=raw))
    return money.quantize(amount, currency)


def parse_currency(raw):
    """An active currency code from ``portal_currency``."""
    code = (raw or "").strip().upper()
    row = db.session.get(Currency, code) if code else None
    if row is None or not row.active:
        raise CatalogError(_("Currency: %(code)s is not an active currency.", code=code or _("empty")))
    return code


def country_code(raw):
    """An ISO 3166 two-letter country code (upper case), or "" when empty."""
    code = (raw or "").strip().upper()
    if code and (len(code) != 2 or code not in Locale("en").territories or code in NOT_COUNTRIES):
        raise CatalogError(_("Country of origin: %(code)s is not an ISO 3166 country code.", code=code))
    return code


def sku_fields(raw):
    """Validate every editable field of a SKU from a form-like mapping."""
    code = (raw.get("code") or "").strip()
    if not SKU_CODE.match(code):
        raise CatalogError(_("SKU code: %(code)s — 1 to 64 letters, digits, '.', '_', '/' or '-'.",
                             code=code or _("empty")))
    barcode = (raw.get("barcode") or "").strip()
    if barcode and not BARCODE.match(barcode):
        raise CatalogError(_("Barcode: %(code)s — letters, digits or '-' only.", code=barcode))
    currency = parse_currency(raw.get("currency"))
    price = parse_money(raw.get("price"), currency, "Price")
    list_price = parse_money(raw.get("list_price"), currency, "List price", required=False)
    if list_price is not None and list_price < price:
        raise CatalogError(_("List price: %(list)s is below the price %(price)s; leave it empty or raise it.",
                             list=list_price, price=price))
    hs_code = (raw.get("hs_code") or "").replace(".", "").replace(" ", "")
    if hs_code and not HS_CODE.match(hs_code):
        raise CatalogError(_("HS code: %(code)s — 6 to 10 digits.", code=raw.get('hs_code')))
    return {"code": code, "barcode": barcode, "currency": currency, "price": price, "list_price": list_price,
            "weight_g": integer(raw.get("weight_g"), "Weight (g)", minimum=0),
            "length_mm": integer(raw.get("length_mm"), "Length (mm)", minimum=0),
            "width_mm": integer(raw.get("width_mm"), "Width (mm)", minimum=0),
            "height_mm": integer(raw.get("height_mm"), "Height (mm)", minimum=0),
            "hs_code": hs_code, "origin_country": country_code(raw.get("origin_country"))}


def _code_taken(merchant_id, codes, except_id=None):
    query = select(Sku.code).where(Sku.merchant_id == merchant_id, Sku.code.in_(list(codes)))
    if except_id is not None:
        query = query.where(Sku.id != except_id)
    return sorted(db.session.execute(query).scalars())


# -- generation -----------------------------------------------------------------------

def spec_values_for(category, value_ids):
    """The ``AttributeValue`` rows for ids chosen on a product of ``category``;
    each must belong to one of the category's spec attributes."""
    allowed = {a.id for a in library.effective_attributes(category, SPEC)}
    ids = {integer(v, N_("Spec value")) for v in value_ids if str(v).strip()}
    if not ids:
        return []
    rows = db.session.execute(select(AttributeValue).where(AttributeValue.id.in_(ids))).scalars().all()
    if len(rows) != len(ids) or any(r.attribute_id not in allowed for r in rows):
        raise CatalogError(_("Spec values: some chosen values are not spec values of %(name)s.",
                             name=category.name_en))
    return rows


def _combinations(product):
    """Every combination of the chosen values: one value per spec attribute."""
    groups = {}
    for sv in product.spec_values:
        groups.setdefault(sv.attribute_id, []).append(sv.value)
    ordered = sorted(groups.values(), key=lambda vs: (vs[0].attribute.position, vs[0].attribute_id))
    for values in ordered:
        values.sort(key=lambda v: (v.position, v.id))
    return [list(combo) for combo in itertools.product(*ordered)] if ordered else [[]]


def spec_key(values):
    """The canonical key of a combination: sorted value ids joined by '-'."""
    return "-".join(str(i) for i in sorted(v.id for v in values))


def _slug(value):
    return re.sub(r"[^A-Za-z0-9]+", "", value.value_en).upper() or str(value.id)


def generate(product, defaults, merchant):
    """Create the SKUs for combinations the product does not have yet; returns
    them. ``defaults``: ``code_prefix``, ``price``, ``currency`` (the
    merchant's default currency when empty)."""
    combos = _combinations(product)
    if len(combos) > MAX_SKUS:
        raise CatalogError(_("Spec values: %(n)s combinations; at most %(max)s SKUs per product.",
                             n=len(combos), max=MAX_SKUS))
    existing = {s.spec_key for s in product.skus}
    missing = [c for c in combos if spec_key(c) not in existing]
    if not missing:
        return []
    prefix = text(defaults.get("code_prefix"), "SKU code prefix", 40, required=True)
    fields = {"code": prefix, "currency": defaults.get("currency") or merchant.default_currency,
              "price": defaults.get("price")}
    base = sku_fields(fields)  # checks prefix, price and currency once
    codes = ["-".join([prefix] + [_slug(v) for v in combo]) for combo in missing]
    if len(set(codes)) != len(codes):
        raise CatalogError(_("SKU code prefix: two values give the same code; rename one value or set codes by hand."))
    taken = _code_taken(product.merchant_id, codes)
    if taken:
        raise CatalogError(_("SKU code: %(codes)s already used in this store; choose another prefix.",
                             codes=", ".join(taken[:5])))
    created = []
    for combo, code in zip(missing, codes):
        sku = Sku(merchant_id=product.merchant_id, spec_key=spec_key(combo), code=code,
                  price=base["price"], currency=base["currency"])
        sku.options = [SkuOption(attribute_id=v.attribute_id, value_id=v.id) for v in combo]
        product.skus.append(sku)
        created.append(sku)
    db.session.flush()
    return created


def add_spec_values(actor, product, value_ids, defaults):
    """Offer more values of the spec attributes the product already uses and
    create the SKUs for the new combinations only."""
    require(actor, RESOURCE, "write")
    require_record(actor, RESOURCE, product, "write")
    used_attributes = {sv.attribute_id for sv in product.spec_values}
    if not used_attributes:
        raise CatalogError(_("Spec values: this product has no spec attributes, so it has a single SKU."))
    have = {sv.value_id for sv in product.spec_values}
    values = [v for v in spec_values_for(product.category, value_ids) if v.id not in have]
    if not values:
        raise CatalogError(_("Spec values: choose at least one value the product does not have yet."))
    stray = [v.value_en for v in values if v.attribute_id not in used_attributes]
    if stray:
        raise CatalogError(_("Spec values: %(values)s belong to an attribute this product's SKUs do not "
                             "use; a new attribute would change every existing SKU.", values=", ".join(stray)))
    for value in values:
        product.spec_values.append(ProductSpecValue(value=value, attribute_id=value.attribute_id))
    db.session.flush()
    created = generate(product, defaults, product.merchant)
    product.updated_at = utcnow()
    review.after_change(actor, product)
    record("catalog.product.specs", target=product.id, plugin="catalog", actor=actor,
           merchant_id=product.merchant_id, summary={"values": [v.value_en for v in values],
                                                     "skus": [s.code for s in created]})
    return created


# -- editing --------------------------------------------------------------------------

def update_sku(actor, sku, raw):
    """Change every field of a SKU; the code stays unique in the store."""
    require(actor, RESOURCE, "write")
    require_record(actor, RESOURCE, sku, "write")
    fields = sku_fields(raw)
    if _code_taken(sku.merchant_id, [fields["code"]], except_id=sku.id):
        raise CatalogError(_("SKU code: %(code)s is already used in this store.", code=fields['code']))
    diff = {k: [getattr(sku, k), v] for k, v in fields.items() if getattr(sku, k) != v}
    for key, value in fields.items():
        setattr(sku, key, value)
    if diff:
        record("catalog.sku.update", target=sku.code, plugin="catalog", actor=actor, merchant_id=sku.merchant_id,
               summary=diff)
    return sku


def update_price(actor, sku, raw_price):
    """The inline price edit: a new price in the SKU's currency (the list price,
    when set, must stay at or above it)."""
    require(actor, RESOURCE, "write")
    require_record(actor, RESOURCE, sku, "write")
    price = parse_money(raw_price, sku.currency, "Price")
    if sku.list_price is not None and price > sku.list_price:
        raise CatalogError(_("Price: %(price)s is above the list price %(list)s; change the list price first.",
                             price=price, list=sku.list_price))
    if price != sku.price:
        record("catalog.sku.price", target=sku.code, plugin="catalog", actor=actor, merchant_id=sku.merchant_id,
               summary={"from": sku.price, "to": price, "currency": sku.currency})
        sku.price = price
    return sku
