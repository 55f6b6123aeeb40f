"""Products (SPU): titles and descriptions in English and Chinese, category,
brand and descriptive parameters. SKUs are in ``skus``; images in ``images``.

A product's category must be an active leaf of the tree when it is chosen:
a product filed under "Clothing" while the tree has "Clothing > Shirts" would
be missed by whoever browses the shirts and would lack the attributes the
platform declared on them. Products already in a category that later gains
children keep it (the tree may grow without touching merchants' products), and
"category with children" filters still find them.
"""
import nh3
from flask_babel import gettext as _
from portal.audit import record
from portal.extensions import db
from portal.i18n import N_
from portal.models import Merchant, utcnow
from sqlalchemy import select

from ..models import PARAM, SPEC, Brand, Product, ProductParam, ProductSpecValue
from . import CatalogError, integer, library, require, require_record, review, skus, text

RESOURCE = "catalog.product"
CONTENT_FIELDS = ("title_en", "title_zh", "description_en", "description_zh", "category_id", "brand_id")

# what a product description may hold: text structure and links, nothing that runs or loads
ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "h2", "h3", "h4",
                "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "hr", "span", "sub", "sup"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}


def sanitize_html(html):
    """Keep the harmless structure of a description; drop scripts, styles,
    event handlers, images and javascript: links."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     clean_content_tags={"script", "style"}, url_schemes={"http", "https", "mailto"})


def _content(fields):
    """Validate the product's own fields; returns the cleaned values."""
    category = library.get_category(fields.get("category_id"), "Category")
    if not category.active:
        raise CatalogError(_("Category: %(name)s is inactive; choose another.", name=category.name_en))
    brand_id = integer(fields.get("brand_id"), "Brand")
    if brand_id is not None:
        brand = db.session.get(Brand, brand_id)
        if brand is None or not brand.active:
            raise CatalogError(_("Brand: no active brand with id %(id)s.", id=brand_id))
    description_en = text(fields.get("description_en"), "Description (English)", 20000)
    description_zh = text(fields.get("description_zh"), "Description (Chinese)", 20000)
    return {"title_en": text(fields.get("title_en"), "Title (English)", 200, required=True),
            "title_zh": text(fields.get("title_zh"), "Title (Chinese)", 200),
            "description_en": sanitize_html(description_en), "description_zh": sanitize_html(description_zh),
            "category_id": category.id, "brand_id": brand_id}, category


def _check_leaf(category, product=None):
    if product is not None and product.category_id == category.id:
        return
    if not library.is_leaf(category):
        raise CatalogError(_("Category: %(name)s has sub-categories; choose one of them.", name=category.name_en))


def _merchant(actor, merchant_id):
    if actor is not None and actor.merchant_id is not None:
        merchant_id = actor.merchant_id  # merchant staff always work in their own store
    merchant = db.session.get(Merchant, integer(merchant_id, "Merchant", required=True))
    if merchant is None:
        raise CatalogError(_("Merchant: no merchant with id %(id)s.", id=merchant_id))
    return merchant


def create_product(actor, merchant_id, fields, spec_value_ids=(), params=None, sku_defaults=None):
    """Create a product with its parameters and one SKU per combination of the
    chosen spec values (one SKU when none). ``sku_defaults`` gives the new
    SKUs' ``code_prefix``, ``price`` and ``currency``."""
    require(actor, RESOURCE, "write")
    merchant = _merchant(actor, merchant_id)
    values, category = _content(fields)
    _check_leaf(category)
    product = Product(merchant_id=merchant.id, **values)
    require_record(actor, RESOURCE, product, "write")
    product.review_status = review.status_for_new(actor)
    db.session.add(product)
    db.session.flush()
    chosen = skus.spec_values_for(category, spec_value_ids)
    for value in chosen:
        product.spec_values.append(ProductSpecValue(value=value, attribute_id=value.attribute_id))
    _set_params(product, category, params or {})
    db.session.flush()
    created = skus.generate(product, sku_defaults or {}, merchant)
    record("catalog.product.create", target=product.id, plugin="catalog", actor=actor, merchant_id=merchant.id,
           summary={"title_en": product.title_en, "skus": [s.code for s in created],
                    "review_status": product.review_status})
    return product


def update_product(actor, product, fields, params=None):
    """Change a product's content. Any change sends it to review when the
    platform requires review (see ``review.after_change``)."""
    require(actor, RESOURCE, "write")
    require_record(actor, RESOURCE, product, "write")
    values, category = _content(fields)
    _check_leaf(category, product)
    used = {sv.attribute_id for sv in product.spec_values}
    allowed = {a.id for a in library.effective_attributes(category, SPEC)}
    if used - allowed:
        raise CatalogError(_("Category: %(name)s lacks spec attributes this product's SKUs use; "
                             "choose a category that has them.", name=category.name_en))
    diff = {k: [getattr(product, k), v] for k, v in values.items() if getattr(product, k) != v}
    for key, value in values.items():
        setattr(product, key, value)
    if params is not None and _set_params(product, category, params):
        diff["params"] = True
    if diff:
        product.updated_at = utcnow()
        review.after_change(actor, product)
        record("catalog.product.update", target=product.id, plugin="catalog", actor=actor,
               merchant_id=product.merchant_id, summary={k: v for k, v in diff.items() if k != "description_en"
                                                         and k != "description_zh"})
    return product


def _set_params(product, category, raw):
    """Replace the product's parameters with ``raw`` ({attribute id: value id
    or text}); returns True when anything changed."""
    attributes = {a.id: a for a in library.effective_attributes(category, PARAM)}
    wanted = {}
    for key, value in raw.items():
        attribute = attributes.get(integer(key, N_("Parameter")))
        if attribute is None:
            raise CatalogError(_("Parameter %(key)s: not a parameter of %(category)s.", key=key,
                                 category=category.name_en))
        value = (value or "").strip()
        if not value:
            continue
        if attribute.values:
            match = [v for v in attribute.values if str(v.id) == value]
            if not match:
                raise CatalogError(_("%(name)s: choose one of the listed values.", name=attribute.name_en))
            wanted[attribute.id] = (match[0].id, "")
        else:
            wanted[attribute.id] = (None, text(value, attribute.name_en, 200))
    current = {p.attribute_id: (p.value_id, p.text) for p in product.params}
    if current == wanted:
        return False
    product.params[:] = [p for p in product.params if p.attribute_id in wanted]
    by_attribute = {p.attribute_id: p for p in product.params}
    for attribute_id, (value_id, free) in wanted.items():
        param = by_attribute.get(attribute_id)
        if param is None:
            product.params.append(ProductParam(attribute_id=attribute_id, value_id=value_id, text=free))
        else:
            param.value_id, param.text = value_id, free
    return True


def merchants_for(actor):
    """Merchants the actor may create products for (platform staff choose one)."""
    from portal import access
    query = access.scoped(select(Merchant).order_by(Merchant.code), Merchant, "write", user=actor)
    return db.session.execute(query).scalars().all()
