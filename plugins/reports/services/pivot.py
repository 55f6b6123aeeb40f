"""The pivot: rows and columns chosen among a rollup's dimensions (time by
day, month or year included), one measure, filters on dimension values, all
summed in SQL within the user's merchant scope. A cell drills down to the
rows one level finer, filtered on the cell's row and column values."""
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db

from ..models import ProductDay, SalesDay
from .figures import scope
from .labels import labels

SOURCES = {
    "sales": (SalesDay, ("merchant", "region", "channel", "year", "month", "day"),
              ("placed_amount", "placed_orders", "paid_amount", "cancelled_orders", "refund_amount")),
    "products": (ProductDay, ("merchant", "category", "brand", "product", "year", "month", "day"),
                 ("sales", "units", "cancelled_units", "cancelled_sales")),
}
COLUMNS = {"merchant": "merchant_id", "region": "region", "channel": "channel", "category": "category_id",
           "brand": "brand_id", "product": "product_id"}
TIME = ("year", "month", "day")
# a cell's rows one level finer
FINER = {"sales": {"year": "month", "month": "day", "merchant": "region", "region": "channel"},
         "products": {"year": "month", "month": "day", "merchant": "category", "category": "brand",
                      "brand": "product"}}
INTEGER_KEYS = {"merchant", "category", "brand", "product"}


class PivotError(ValueError):
    """A pivot the user asked for cannot be built; the message names the field."""


@dataclass
class Pivot:
    source: str
    rows: str
    cols: str
    measure: str
    row_keys: list = field(default_factory=list)
    col_keys: list = field(default_factory=list)
    cells: dict = field(default_factory=dict)
    row_labels: dict = field(default_factory=dict)
    col_labels: dict = field(default_factory=dict)

    def row_total(self, row):
        return sum((self.cells.get((row, c), 0) for c in self.col_keys), 0)

    def col_total(self, col):
        return sum((self.cells.get((r, col), 0) for r in self.row_keys), 0)

    @property
    def total(self):
        return sum(self.cells.values(), 0)


def _time(model, grain):
    if grain == "day":
        return model.day
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if grain == "month":
        return func.strftime("%Y-%m", model.day) if sqlite else func.to_char(model.day, "YYYY-MM")
    return func.strftime("%Y", model.day) if sqlite else func.to_char(model.day, "YYYY")


def _expr(model, dimension):
    return _time(model, dimension) if dimension in TIME else getattr(model, COLUMNS[dimension])


def check(source, rows, cols, measure):
    """The model of ``source``, once every choice is one it offers."""
    if source not in SOURCES:
        raise PivotError(_("source: %(value)r is not one of %(choices)s.", value=source, choices=", ".join(SOURCES)))
    model, dimensions, measures = SOURCES[source]
    for name, value in (("rows", rows), ("columns", cols)):
        if value not in dimensions:
            raise PivotError(_("%(field)s: %(value)r is not one of %(choices)s.", field=name, value=value,
                               choices=", ".join(dimensions)))
    if rows == cols:
        raise PivotError(_("Rows and columns must be different dimensions."))
    if measure not in measures:
        raise PivotError(_("measure: %(value)r is not one of %(choices)s.", value=measure, choices=", ".join(measures)))
    return model


def parse_filters(source, args):
    """``{dimension: value}`` from ``f_<dimension>`` arguments (ids checked as numbers)."""
    out = {}
    for dimension in SOURCES[source][1]:
        raw = args.get(f"f_{dimension}")
        if raw in (None, "") or dimension in TIME:
            continue
        if dimension in INTEGER_KEYS and not raw.isdigit():
            raise PivotError(_("%(field)s: %(value)r is not a number.", field=dimension, value=raw))
        out[dimension] = int(raw) if dimension in INTEGER_KEYS else raw
    return out


def build(source, rows, cols, measure, period, currency, filters, merchant_id=None, user=None):
    """The pivot of ``period`` in ``currency`` with ``filters`` applied."""
    model = check(source, rows, cols, measure)
    row_expr, col_expr = _expr(model, rows).label("r"), _expr(model, cols).label("c")
    query = (select(row_expr, col_expr, func.sum(getattr(model, measure)))
             .where(model.day >= period.start, model.day <= period.end, model.currency == currency)
             .group_by(row_expr, col_expr))
    for dimension, value in filters.items():
        query = query.where(getattr(model, COLUMNS[dimension]) == value)
    pivot = Pivot(source, rows, cols, measure)
    for r, c, value in db.session.execute(scope(query, model, user, merchant_id)).all():
        r, c = _key(rows, r), _key(cols, c)
        pivot.cells[(r, c)] = value or 0
    pivot.row_keys = sorted({r for r, _c in pivot.cells}, key=_sort_key)
    pivot.col_keys = sorted({c for _r, c in pivot.cells}, key=_sort_key)
    pivot.row_labels = _labels(rows, pivot.row_keys)
    pivot.col_labels = _labels(cols, pivot.col_keys)
    return pivot


def _key(dimension, value):
    if dimension == "day" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _sort_key(value):
    return (value is None, str(value) if not isinstance(value, int) else f"{value:012d}")


def _labels(dimension, keys):
    if dimension in TIME:
        return {k: str(k) for k in keys}
    found = labels(dimension, keys)
    return {k: str(found.get(k, k if k is not None else "–")) for k in keys}


def time_range(grain, key):
    """The first and last day of a time cell (``2026-03``, ``2026``, a date)."""
    if grain == "day":
        return key, key
    if grain == "month":
        first = date.fromisoformat(f"{key}-01")
        return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return date(int(key), 1, 1), date(int(key), 12, 31)


def drill(source, rows, cols, row_key, col_key, args):
    """The query arguments of a cell's drill-down: both values become filters
    (a time value narrows the period), the rows one level finer."""
    out = {k: v for k, v in args.items() if k != "page"}
    dimensions = SOURCES[source][1]
    for dimension, key in ((rows, row_key), (cols, col_key)):
        if key is None:
            continue
        if dimension in TIME:
            start, end = time_range(dimension, key)
            out.update(period="range", start=start.isoformat(), end=end.isoformat())
        else:
            out[f"f_{dimension}"] = str(key)
    finer = FINER[source].get(rows)
    if finer in dimensions and finer != cols:
        out["rows"] = finer
    return out
