"""Checking the SKU columns of an import row: each field with the rules of
the SKU form (``skus``), each problem reported on its own column, so one
preview shows every problem of the row."""
from decimal import Decimal

from flask_babel import gettext as _
from portal import money

from . import CatalogError, skus

SKU_TEXT_DEFAULTS = {"barcode": "", "hs_code": "", "origin_country": "", "list_price": None, "weight_g": None,
                     "length_mm": None, "width_mm": None, "height_mm": None}
DIMENSIONS = ("weight_g", "length_mm", "width_mm", "height_mm")


def _problem(exc):
    """A service's "Field: problem" message without the field (the issue names the column)."""
    message = str(exc)
    head, sep, rest = message.partition(": ")
    return rest if sep and len(head) < 30 else message


class SkuFieldChecker:
    """Checks the SKU columns of one row, each problem reported on its column."""

    def __init__(self, planner, draft, sku, merchant):
        self.planner, self.draft, self.sku, self.merchant = planner, draft, sku, merchant
        self.raw, self.ok = draft.raw, True

    def fail(self, name, message):
        """Report a problem on the column of field ``name``."""
        self.ok = False
        self.planner.issue(self.draft.line, self.planner.column(name), message)

    def check(self):
        """The row's SKU fields, checked, or None after a problem."""
        fields = {} if self.sku is not None else {"code": self.draft.code, **SKU_TEXT_DEFAULTS}
        if self.sku is None and not skus.SKU_CODE.match(self.draft.code):
            self.fail("code", _("%(code)s: 1 to 64 letters, digits, '.', '_', '/' or '-'.", code=self.draft.code))
        self._money(fields)
        self._texts(fields)
        for name in DIMENSIONS:
            if name in self.raw:
                fields[name] = self._whole(name, self.raw[name])
        return fields if self.ok else None

    def _money(self, fields):
        currencies = self.planner.parsed.library.currencies
        code = self.sku.currency if self.sku is not None else self.merchant.default_currency
        if self.raw.get("currency"):
            code = self.raw["currency"].strip().upper()
            row = currencies.get(code)
            if row is None or not row.active:
                return self.fail("currency", _("%(code)s is not an active currency.", code=code))
            fields["currency"] = code
        elif self.sku is None:
            fields["currency"] = code
        unit = currencies[code].minor_unit
        price = self.sku.price if self.sku is not None else None
        list_price = self.sku.list_price if self.sku is not None else None
        if "price" in self.raw:
            price = fields["price"] = self._amount("price", code, unit, required=True)
        if "list_price" in self.raw:
            list_price = fields["list_price"] = self._amount("list_price", code, unit)
        if price is None:
            if self.ok and "price" not in self.raw:
                self.fail("price", _("required for a new SKU."))
            return None
        if list_price is not None and list_price < price:
            self.fail("list_price", _("%(list)s is below the price %(price)s; leave it empty or raise it.",
                                      list=list_price, price=price))

    def _amount(self, name, currency, unit, required=False):
        """A non-negative amount with no more decimals than the currency has
        (the rules of ``skus.parse_money``, with the currency already known)."""
        text = self.raw[name].strip()
        if not text:
            if required:
                self.fail(name, _("required."))
            return None
        try:
            amount = money.to_decimal(text, name)
        except money.FieldError as exc:
            return self.fail(name, exc.problem)
        if amount < 0:
            return self.fail(name, _("must not be negative."))
        exponent = Decimal(1).scaleb(-unit)
        if amount != amount.quantize(exponent):
            return self.fail(name, _("%(code)s amounts have at most %(n)s decimal(s); %(value)s has more.",
                                     code=currency, n=unit, value=text))
        return amount.quantize(exponent)

    def _texts(self, fields):
        if "barcode" in self.raw:
            barcode = self.raw["barcode"]
            if barcode and not skus.BARCODE.match(barcode):
                self.fail("barcode", _("%(value)s: letters, digits or '-' only.", value=barcode))
            fields["barcode"] = barcode
        if "hs_code" in self.raw:
            hs_code = self.raw["hs_code"].replace(".", "").replace(" ", "")
            if hs_code and not skus.HS_CODE.match(hs_code):
                self.fail("hs_code", _("%(value)s: 6 to 10 digits.", value=self.raw["hs_code"]))
            fields["hs_code"] = hs_code
        if "origin_country" in self.raw:
            countries = self.planner.countries  # the same few codes on every row: check each once
            raw = self.raw["origin_country"]
            if raw not in countries:
                try:
                    countries[raw] = (skus.country_code(raw), None)
                except CatalogError as exc:
                    countries[raw] = (None, _problem(exc))
            code, problem = countries[raw]
            if problem:
                self.fail("origin_country", problem)
            fields["origin_country"] = code

    def _whole(self, name, text):
        if not text:
            return None
        if not text.isdigit():
            self.fail(name, _("%(value)s is not a whole number of 0 or more.", value=text))
            return None
        return int(text)
