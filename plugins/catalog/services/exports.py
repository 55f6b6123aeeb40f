"""Exporting products in the portal's own format (``portal_format``): one row
per SKU with the product's columns repeated, ``spec:`` and ``param:`` columns
for the attributes the exported products use. Values a spreadsheet would run
as formulas are escaped (``sheets.escape_formula``), in CSV and XLSX alike.

Rows are produced in batches of products, so exporting 100,000 products keeps
memory flat: CSV is streamed to the browser, XLSX written in openpyxl's
write-only mode to a temporary file.
"""
from portal.audit import record
from portal.extensions import db
from portal.money import quantize
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..models import Attribute, Product, ProductParam, ProductSpecValue, Sku
from . import require
from .imports import Library
from .portal_format import header_row
from .sheets import csv_line, write_xlsx

RESOURCE = "catalog.product"
BATCH = 500


class Export:
    """The products ``actor`` may read that match ``filters`` (a
    ``queries.ProductFilters``), as the rows of the portal's format."""

    def __init__(self, actor, filters):
        from .queries import product_query

        require(actor, RESOURCE, "manage")
        self.actor, self.filters = actor, filters
        query = product_query(filters, user=actor, level="read")
        self.ids_query = query.with_only_columns(Product.id).order_by(Product.id)
        self.library = Library()
        self.spec_codes = self._codes(ProductSpecValue)
        self.param_codes = self._codes(ProductParam)
        self.header = header_row(self.spec_codes, self.param_codes)

    def _codes(self, link):
        ids = self.ids_query.order_by(None).subquery()
        query = (select(Attribute.code).join(link, link.attribute_id == Attribute.id)
                 .where(link.product_id.in_(select(ids.c.id))).distinct())
        return sorted(db.session.execute(query).scalars())

    def count(self):
        """How many products the export holds."""
        ids = self.ids_query.order_by(None).subquery()
        return db.session.execute(select(func.count()).select_from(ids)).scalar()

    def audit(self, fmt):
        """Record who exported what (the filters), before the rows leave."""
        filters = {k: v for k, v in vars(self.filters).items() if v not in (None, "")}
        record("catalog.export", target=fmt, plugin="catalog", actor=self.actor,
               merchant_id=getattr(self.actor, "merchant_id", None),
               summary={"format": fmt, "filters": filters, "products": self.count()})

    def rows(self, money_as_text=True):
        """Every SKU row, product by product, in batches."""
        ids = list(db.session.execute(self.ids_query).scalars())
        for start in range(0, len(ids), BATCH):
            query = (select(Product).where(Product.id.in_(ids[start:start + BATCH])).order_by(Product.id)
                     .options(selectinload(Product.skus).selectinload(Sku.options), selectinload(Product.params),
                              selectinload(Product.brand)))
            for product in db.session.execute(query).scalars():
                # the session holds loaded rows weakly: a written batch is let go
                yield from self._product_rows(product, money_as_text)

    def _product_rows(self, product, money_as_text):
        category = self.library.categories.get(product.category_id)
        head = [str(product.id), product.title_en, product.title_zh, product.description_en,
                product.description_zh, self.library.path(category) if category else "",
                product.brand.name_en if product.brand else ""]
        params = {p.attribute.code: p.display for p in product.params}
        tail = [params.get(code, "") for code in self.param_codes]
        for sku in product.skus:
            specs = {o.value.attribute.code: o.value.value_en for o in sku.options}
            yield head + self._sku_cells(sku, money_as_text) + [specs.get(c, "") for c in self.spec_codes] + tail

    @staticmethod
    def _sku_cells(sku, money_as_text):
        def money(amount):
            if amount is None:
                return ""
            value = quantize(amount, sku.currency)
            return f"{value:f}" if money_as_text else value

        def number(value):
            return "" if value is None else (str(value) if money_as_text else value)

        return [sku.code, sku.barcode, money(sku.price), money(sku.list_price), sku.currency,
                number(sku.weight_g), number(sku.length_mm), number(sku.width_mm), number(sku.height_mm),
                sku.hs_code, sku.origin_country]


def csv_chunks(export):
    """The CSV file as text pieces: a BOM (so spreadsheets read it as UTF-8),
    the header, then about a hundred rows per piece."""
    yield "\ufeff" + csv_line(export.header)
    buffer = []
    for row in export.rows():
        buffer.append(csv_line(row))
        if len(buffer) >= 100:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


def write_xlsx_file(export, path):
    """Write the export as a workbook at ``path``; returns the row count."""
    return write_xlsx(path, export.header, export.rows(money_as_text=False))

