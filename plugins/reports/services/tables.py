"""The sales table a page shows and an export writes: one row per key of the
chosen dimension with this period's figures beside the previous period's."""
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext

from .figures import SALES_DIMENSIONS, SalesDay, change, sales_by
from .labels import labels

ORDER_COLUMNS = [("orders", lazy_gettext("Orders")), ("gmv", lazy_gettext("GMV")),
                 ("aov", lazy_gettext("Average order value")), ("paid", lazy_gettext("Paid")),
                 ("cancelled", lazy_gettext("Cancelled orders")), ("refunds", lazy_gettext("Refunds"))]
LINE_COLUMNS = [("units", lazy_gettext("Units")), ("gmv", lazy_gettext("Sales")),
                ("cancelled_units", lazy_gettext("Cancelled units")),
                ("cancelled_sales", lazy_gettext("Cancelled sales"))]


@dataclass
class SalesRow:
    key: object
    label: str
    values: dict
    previous_gmv: Decimal
    change: Decimal | None = field(default=None)


def columns_for(dimension):
    """The measure columns of a dimension's table."""
    return ORDER_COLUMNS if SALES_DIMENSIONS[dimension][0] is SalesDay else LINE_COLUMNS


def sales_table(dimension, period, currency, user=None, merchant_id=None):
    """Rows by ``dimension``, largest GMV first, with the previous period's GMV."""
    current = sales_by(dimension, period, currency, user, merchant_id)
    previous = sales_by(dimension, period.previous(), currency, user, merchant_id)
    names = labels(dimension, set(current) | set(previous))
    rows = []
    for key in set(current) | set(previous):
        values = dict(current.get(key) or {name: 0 for name, _label in columns_for(dimension) if name != "aov"})
        if "orders" in values:
            values["aov"] = (Decimal(values["gmv"]) / values["orders"]).quantize(Decimal("0.01")) \
                if values["orders"] else Decimal(0)
        before = Decimal((previous.get(key) or {}).get("gmv") or 0)
        rows.append(SalesRow(key, str(names.get(key, key if key is not None else "-")), values, before,
                             change(values["gmv"], before)))
    rows.sort(key=lambda r: (-Decimal(r.values["gmv"] or 0), r.label))
    return rows
