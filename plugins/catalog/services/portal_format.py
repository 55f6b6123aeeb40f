"""The portal's own spreadsheet format: one row per SKU, the product's columns
repeated on each of its rows. ``COLUMNS`` documents them (the import page
shows this list); ``spec:<code>`` and ``param:<code>`` columns carry the
values of the library's attributes (``spec:colour``, ``param:material``).

The export (``exports``) writes exactly this format, so an exported file can
be edited and imported back.
"""
from flask_babel import gettext as _
from portal.i18n import N_

from ..models import PARAM, SPEC
from .imports import MAX_ROWS, Parsed, ProductDraft, SkuDraft, value_of
from .products import sanitize_html
from .sheets import is_formula, unescape_formula

SPEC_PREFIX, PARAM_PREFIX = "spec:", "param:"
# (column, required, what it holds)
COLUMNS = [
    ("product_ref", True, N_("Rows with the same value are one product. The export writes the product's number; "
                             "for a new product any text shared by its rows (shirt-1).")),
    ("title_en", True, N_("Title in English (at most 200 characters).")),
    ("title_zh", False, N_("Title in Chinese.")),
    ("description_en", False, N_("Description in English: simple HTML, anything else is removed.")),
    ("description_zh", False, N_("Description in Chinese.")),
    ("category", True, N_("The category's path as the export writes it (Clothing > Shirts), its number, or a "
                          "name used by one category only. New products need a category without sub-categories.")),
    ("brand", False, N_("A brand of the library by its English or Chinese name; empty: no brand.")),
    ("sku_code", True, N_("Unique in your store. A row whose code exists updates that SKU; otherwise a SKU is "
                          "added.")),
    ("barcode", False, N_("Letters, digits or '-'.")),
    ("price", True, N_("A plain number in the SKU's currency, e.g. 199.00.")),
    ("list_price", False, N_("The crossed-out price; at or above the price, or empty.")),
    ("currency", False, N_("ISO code (CNY, EUR). Empty: the SKU's own, or your store's default for a new SKU.")),
    ("weight_g", False, N_("Weight in grams (whole number).")),
    ("length_mm", False, N_("Length in millimetres.")),
    ("width_mm", False, N_("Width in millimetres.")),
    ("height_mm", False, N_("Height in millimetres.")),
    ("hs_code", False, N_("Customs tariff code, 6 to 10 digits.")),
    ("origin_country", False, N_("Country of origin, two letters (CN, DE).")),
]
PRODUCT_COLUMNS = ("product_ref", "title_en", "title_zh", "description_en", "description_zh", "category", "brand")
SKU_COLUMNS = ("sku_code", "barcode", "price", "list_price", "currency", "weight_g", "length_mm", "width_mm",
               "height_mm", "hs_code", "origin_country")
KNOWN = {name for name, _required, _help in COLUMNS}
REQUIRED = [name for name, required, _help in COLUMNS if required]
TEXT_LIMITS = {"title_en": 200, "title_zh": 200, "description_en": 20000, "description_zh": 20000}


def header_row(spec_codes=(), param_codes=()):
    """The header the export writes (and a template shows)."""
    return ([name for name, _r, _h in COLUMNS] + [SPEC_PREFIX + c for c in spec_codes]
            + [PARAM_PREFIX + c for c in param_codes])


def _read_header(table, library, parsed):
    """``{column name (lower case): index}``; problems go to ``parsed``."""
    index, line = {}, table.header_line
    specs, params = library.spec_codes(), library.param_codes()
    for position, name in enumerate(table.header):
        key = name.lower()
        if not key:
            continue
        if key in index:
            parsed.issue(line, name, _("the column appears twice in the header row."))
        elif key.startswith(SPEC_PREFIX) and key[len(SPEC_PREFIX):] not in specs:
            parsed.issue(line, name, _("the library has no spec attribute with the code %(code)s.",
                                       code=key[len(SPEC_PREFIX):]))
        elif key.startswith(PARAM_PREFIX) and key[len(PARAM_PREFIX):] not in params:
            parsed.issue(line, name, _("the library has no parameter with the code %(code)s.",
                                       code=key[len(PARAM_PREFIX):]))
        elif key not in KNOWN and not key.startswith((SPEC_PREFIX, PARAM_PREFIX)):
            parsed.issue(line, name, _("unknown column; the columns are listed on the import page."))
        index[key] = position
    for name in REQUIRED:
        if name not in index:
            parsed.issue(line, name, _("the column is missing from the header row."))
    return index


def read(table, library):
    """Read a table in the portal's format into product drafts (``Parsed``)."""
    parsed = Parsed({"code": "sku_code", **{c: c for c in SKU_COLUMNS if c != "sku_code"},
                     **{c: c for c in PRODUCT_COLUMNS}, "category_id": "category", "brand_id": "brand",
                     "product_key": "product_ref"}, library, strict_refs=True)
    index = _read_header(table, library, parsed)
    if parsed.issues:
        return parsed
    spec_columns = [k for k in index if k.startswith(SPEC_PREFIX)]
    for line, cells in table.rows():
        parsed.rows += 1
        if parsed.rows > MAX_ROWS:
            parsed.issue(line, "", _("the file has more than %(n)s rows; split it.", n=MAX_ROWS))
            break
        values = _cells(cells, index, line, parsed)
        _row(values, line, library, parsed, spec_columns)
    return parsed


def _cells(cells, index, line, parsed):
    """``{column: text}`` of one row; a bare formula is reported and read as empty."""
    values = {}
    for key, position in index.items():
        text = cells[position].strip() if position < len(cells) and cells[position] is not None else ""
        if is_formula(text):
            parsed.issue(line, key, _("the cell holds a formula (%(formula)s); type its value instead.",
                                      formula=text[:40]))
            text = ""
        values[key] = unescape_formula(text)
    return values


def _row(values, line, library, parsed, spec_columns):
    ref = values["product_ref"]
    if not ref:
        parsed.issue(line, "product_ref", _("required: rows with the same value form one product."))
        return
    draft = parsed.drafts.get(ref)
    if draft is None:
        draft = parsed.drafts[ref] = ProductDraft(key=ref, line=line)
        _product(draft, values, line, library, parsed)
    else:
        for key, first in draft.texts.items():
            if values[key] != first:
                parsed.issue(line, key, _("differs from row %(row)s of the same product (%(ref)s); product "
                                          "columns repeat the same value on each of its rows.",
                                          row=draft.line, ref=ref))
    code = values["sku_code"]
    if not code:
        parsed.issue(line, "sku_code", _("required."))
    raw = {key: values[key] for key in SKU_COLUMNS if key in values and key != "sku_code"}
    chosen = _spec_values(draft, values, line, library, parsed, spec_columns) if spec_columns else None
    draft.skus.append(SkuDraft(line, code, raw, chosen))


def _product(draft, values, line, library, parsed):
    """The product's own fields from its first row."""
    draft.texts = {k: v for k, v in values.items() if k in PRODUCT_COLUMNS or k.startswith(PARAM_PREFIX)}
    if draft.key.isdigit():
        draft.product_id = int(draft.key)
    for key, limit in TEXT_LIMITS.items():
        if key not in values:
            continue
        if key == "title_en" and not values[key]:
            parsed.issue(line, key, _("required."))
        elif len(values[key]) > limit:
            parsed.issue(line, key, _("at most %(n)s characters.", n=limit))
        draft.content[key] = sanitize_html(values[key]) if key.startswith("description") else values[key]
    if not values["category"]:
        parsed.issue(line, "category", _("required."))
    else:
        category, problem = library.category(values["category"])
        if problem:
            parsed.issue(line, "category", problem)
        else:
            draft.category, draft.content["category_id"] = category, category.id
    if "brand" in values:
        brand, problem = library.brand(values["brand"]) if values["brand"] else (None, None)
        if problem:
            parsed.issue(line, "brand", problem)
        draft.content["brand_id"] = brand.id if brand else None
    if draft.category is None:
        draft.broken = True
        return
    _params(draft, values, line, library, parsed)


def _params(draft, values, line, library, parsed):
    attributes = {a.code: a for a in library.effective(draft.category, PARAM)}
    columns = [k for k in values if k.startswith(PARAM_PREFIX)]
    if not columns:
        return
    draft.params = {}
    for key in columns:
        attribute = attributes.get(key[len(PARAM_PREFIX):])
        text = values[key]
        if attribute is None:
            if text:
                parsed.issue(line, key, _("%(category)s has no parameter %(code)s; leave the cell empty.",
                                          category=draft.category.name_en, code=key[len(PARAM_PREFIX):]))
            continue
        draft.param_attributes.add(attribute.id)
        if not text:
            continue
        if attribute.values:
            value, problem = value_of(attribute, text)
            if problem:
                parsed.issue(line, key, problem)
            else:
                draft.params[attribute.id] = (value.id, "")
        elif len(text) > 200:
            parsed.issue(line, key, _("at most %(n)s characters.", n=200))
        else:
            draft.params[attribute.id] = (None, text)


def _spec_values(draft, values, line, library, parsed, spec_columns):
    """The row's spec values (``AttributeValue``), checked against the category."""
    if draft.category is None:
        return []
    attributes = {a.code: a for a in library.effective(draft.category, SPEC)}
    chosen = []
    for key in spec_columns:
        text = values[key]
        if not text:
            continue
        attribute = attributes.get(key[len(SPEC_PREFIX):])
        if attribute is None:
            parsed.issue(line, key, _("%(category)s has no spec attribute %(code)s; leave the cell empty.",
                                      category=draft.category.name_en, code=key[len(SPEC_PREFIX):]))
            continue
        value, problem = value_of(attribute, text)
        if problem:
            parsed.issue(line, key, problem)
        else:
            chosen.append(value)
    return chosen
