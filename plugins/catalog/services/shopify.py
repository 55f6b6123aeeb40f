"""Reading Shopify's product CSV export, so a merchant moving from Shopify
brings its catalog.

Rows sharing a Handle form one product; the product's columns (Title, Body
(HTML), Vendor, Type, the option names) are on its first row, later rows hold
a variant each or only an image. Vendor becomes the brand (it must exist in
the library); Type becomes a category, chosen by the user on the preview
(``type_map``) or found by its exact name. Option1..3 become spec values of
the category's spec attributes, matched by name (Color finds Colour).

Not imported: image links (the portal fetches nothing from other sites),
tags, inventory and publishing columns; new SKUs take the store's default
currency, since the export names none.
"""
import re
from collections import Counter
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from ..models import SPEC
from .imports import MAX_ROWS, Parsed, ProductDraft, SkuDraft, value_of
from .products import sanitize_html
from .sheets import is_formula, unescape_formula

OPTIONS = (1, 2, 3)
HEADERS = ["Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Variant SKU", "Variant Price",
           "Variant Compare At Price", "Variant Grams", "Variant Barcode", "Image Src"] + \
          [f"Option{i} {part}" for i in OPTIONS for part in ("Name", "Value")]
REQUIRED = ("Handle", "Title", "Variant SKU", "Variant Price")
SKU_FIELDS = {"price": "Variant Price", "list_price": "Variant Compare At Price", "weight_g": "Variant Grams",
              "barcode": "Variant Barcode"}
NO_OPTION = ("title", "default title")


def _norm(name):
    """An option or attribute name compared loosely: case, spaces and the
    British spelling do not matter."""
    return re.sub(r"[\W_]+", "", name.lower()).replace("colour", "color")


class ShopifyReader:
    """Reads one export; the state of a read lives here, not in module globals."""

    def __init__(self, library, type_map):
        self.library, self.type_map = library, {k: str(v) for k, v in type_map.items()}
        self.parsed = Parsed({"code": "Variant SKU", "title_en": "Title", "description_en": "Body (HTML)",
                              "category_id": "Type", "brand_id": "Vendor", "category": "Type",
                              "product_key": "Handle", **SKU_FIELDS}, library)
        self.options = {}  # handle -> {option number: Attribute or None}
        self.notes = Counter()

    def read(self, table):
        """Every row of the table into product drafts."""
        index = self._header(table)
        if self.parsed.issues:
            return self.parsed
        for line, cells in table.rows():
            self.parsed.rows += 1
            if self.parsed.rows > MAX_ROWS:
                self.parsed.issue(line, "", _("the file has more than %(n)s rows; split it.", n=MAX_ROWS))
                break
            self._row(self._cells(cells, index, line), line)
        self._warnings()
        return self.parsed

    def _header(self, table):
        wanted = {h.lower(): h for h in HEADERS}
        index = {}
        for position, name in enumerate(table.header):
            canonical = wanted.get(name.lower())
            if canonical and canonical not in index:
                index[canonical] = position
        for name in REQUIRED:
            if name not in index:
                self.parsed.issue(table.header_line, name, _("the column is missing from the header row; is this "
                                                             "Shopify's product export?"))
        return index

    def _cells(self, cells, index, line):
        values = {}
        for name, position in index.items():
            text = cells[position].strip() if position < len(cells) and cells[position] is not None else ""
            if is_formula(text):
                self.parsed.issue(line, name, _("the cell holds a formula (%(formula)s); type its value instead.",
                                                formula=text[:40]))
                text = ""
            values[name] = unescape_formula(text)
        return values

    def _row(self, values, line):
        handle = values["Handle"]
        if not handle:
            self.parsed.issue(line, "Handle", _("required: rows with the same handle form one product."))
            return
        draft = self.parsed.drafts.get(handle)
        if draft is None:
            draft = self.parsed.drafts[handle] = ProductDraft(key=handle, line=line)
            self._product(draft, values, line)
        if values.get("Image Src"):
            draft.image_urls.append(values["Image Src"])
        if line != draft.line and not (values["Variant SKU"] or values["Variant Price"]
                                       or values.get("Option1 Value")):
            return  # a row that only adds an image
        self._variant(draft, values, line)

    def _product(self, draft, values, line):
        title = values["Title"]
        if not title:
            self.parsed.issue(line, "Title", _("required on the first row of each handle."))
        elif len(title) > 200:
            self.parsed.issue(line, "Title", _("at most %(n)s characters.", n=200))
        draft.content["title_en"] = title
        if "Body (HTML)" in values:
            draft.content["description_en"] = sanitize_html(values["Body (HTML)"])
        if values.get("Vendor"):
            brand, problem = self.library.brand(values["Vendor"])
            if problem:
                self.parsed.issue(line, "Vendor", problem)
            else:
                draft.content["brand_id"] = brand.id
        if values.get("Tags"):
            self.notes["tags"] += 1
        kind = values.get("Type", "")
        self.parsed.types[kind] = self.parsed.types.get(kind, 0) + 1
        category, problem = self._category(kind)
        if problem:
            self.parsed.issue(line, "Type", problem)
            draft.broken = True
            return
        draft.category, draft.content["category_id"] = category, category.id
        self._option_attributes(draft, values, line)

    def _category(self, kind):
        """The category chosen for a Type, else the one leaf named exactly so."""
        chosen = self.type_map.get(kind, "")
        if chosen.isdigit() and int(chosen) in self.library.categories:
            return self.library.categories[int(chosen)], None
        named = [c for c in self.library.by_name.get(kind.lower(), []) if c.id in self.library.leaves] if kind else []
        if len(named) == 1:
            return named[0], None
        if not kind:
            return None, _("empty; choose a category for products without a type above the table.")
        return None, _("no category is chosen for the type %(type)s; choose one above the table.", type=kind)

    def _option_attributes(self, draft, values, line):
        """Match the product's option names to its category's spec attributes."""
        attributes = self.library.effective(draft.category, SPEC)
        found = {}
        for i in OPTIONS:
            name = values.get(f"Option{i} Name", "")
            if not name or (i == 1 and name.lower() in NO_OPTION and
                            values.get("Option1 Value", "").lower() in NO_OPTION):
                continue
            match = [a for a in attributes if _norm(name) in {_norm(a.code), _norm(a.name_en), _norm(a.name_zh)}]
            if match:
                found[i] = match[0]
                draft.spec_columns[match[0].id] = f"Option{i} Value"
            else:
                found[i] = None
                names = ", ".join(a.name_en for a in attributes) or _("none")
                self.parsed.issue(line, f"Option{i} Name", _(
                    "%(name)s is not a spec attribute of %(category)s (it has: %(names)s); choose another "
                    "category for this type or ask the platform to add the attribute.",
                    name=name, category=draft.category.name_en, names=names))
        self.options[draft.key] = found

    def _variant(self, draft, values, line):
        found = self.options.get(draft.key, {})
        chosen = []
        for i in OPTIONS if draft.category is not None else ():
            text = values.get(f"Option{i} Value", "")
            if i not in found or not text:
                if text and i not in found and not (i == 1 and text.lower() in NO_OPTION):
                    self.parsed.issue(line, f"Option{i} Value", _("a value, but the product's first row names no "
                                                                  "Option%(i)s Name.", i=i))
                continue
            if found[i] is None:
                continue  # its name was reported on the first row
            value, problem = value_of(found[i], text)
            if problem:
                self.parsed.issue(line, f"Option{i} Value", problem)
            else:
                chosen.append(value)
        draft.skus.append(SkuDraft(line, self._code(draft, values), self._raw(values), chosen))

    def _code(self, draft, values):
        if values["Variant SKU"]:
            return values["Variant SKU"]
        self.notes["codes"] += 1
        parts = [draft.key] + [values.get(f"Option{i} Value", "") for i in OPTIONS
                               if values.get(f"Option{i} Value", "").lower() not in NO_OPTION]
        return re.sub(r"[^A-Za-z0-9]+", "-", "-".join(parts)).strip("-").upper()[:64]

    def _raw(self, values):
        raw = {name: values[column] for name, column in SKU_FIELDS.items() if column in values}
        if raw.get("weight_g") == "0":
            raw["weight_g"] = ""  # Shopify writes 0 for "not set"
        if raw.get("barcode", "").startswith("'"):
            raw["barcode"] = raw["barcode"][1:]  # kept by spreadsheets to hold leading zeros
        if raw.get("list_price") and _not_above(raw["list_price"], raw.get("price", "")):
            # Shopify shows no sale when the compare-at price is not above the price
            raw["list_price"] = ""
            self.notes["compare"] += 1
        return raw

    def _warnings(self):
        images = sum(len(d.image_urls) for d in self.parsed.drafts.values())
        notes = [
            (self.notes["codes"], _("%(n)s variant(s) have no Variant SKU: their codes are made from the handle and "
                                    "the option values.", n=self.notes["codes"])),
            (images, _("%(n)s image link(s) (Image Src) are not fetched, since the portal loads nothing from other "
                       "sites; upload the pictures on each product's page.", n=images)),
            (self.notes["compare"], _("%(n)s compare-at price(s) not above the price are left out (Shopify shows no "
                                      "sale for them).", n=self.notes["compare"])),
            (self.notes["tags"], _("Tags are not imported (%(n)s product(s) have some).", n=self.notes["tags"])),
        ]
        self.parsed.warnings.extend(text for count, text in notes if count)


def _not_above(list_price, price):
    try:
        return Decimal(list_price) <= Decimal(price)
    except (InvalidOperation, ValueError):
        return False  # a bad number is reported by the price checks


def read(table, library, type_map):
    """Read a Shopify export (``Table``) into product drafts (``Parsed``)."""
    return ShopifyReader(library, type_map).read(table)
