"""Importing exchange rates from CSV (columns date, base, quote, rate): every
row is checked first and every error reported, naming its row and column;
then all rows are stored, or none. A pair and day already stored is updated,
so importing the same file twice changes nothing."""
import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from .audit import record
from .extensions import db
from .imports import RowError
from .models import Currency, ExchangeRate
from .money import FieldError, MoneyError, parse_day, parse_rate, shown


@dataclass
class RateRow:
    """One valid line of a rates file."""

    line: int
    day: date
    base: str
    quote: str
    rate: Decimal


class RateImportError(MoneyError):
    """The file has errors; nothing was imported. ``errors`` lists them all."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(_("%(n)s error(s); nothing was imported. First: %(first)s", n=len(errors),
                           first=errors[0]))


RATE_COLUMNS = ("date", "base", "quote", "rate")
MAX_IMPORT_ROWS = 10000


def _decode(data):
    """Text of an uploaded file (UTF-8, with or without a BOM), or a RowError."""
    if isinstance(data, str):
        return data, None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, RowError(line, "", _("the file is not UTF-8 text; save it as \"CSV UTF-8\" and upload it again."))


def _header(record, line):
    names = [h.strip().lstrip("\ufeff").lower() for h in record]
    errors = [RowError(line, c, _("the column is missing from the header row."))
              for c in RATE_COLUMNS if c not in names]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    errors += [RowError(line, n, _("the column appears twice in the header row.")) for n in twice]
    return {c: names.index(c) for c in RATE_COLUMNS if c in names}, errors


def _check_record(cells, line, columns, known):
    """A ``RateRow`` and ``[]``, or ``None`` and every error of the line, in
    the order of the columns: date, base, quote, rate."""
    values = {c: (cells[i].strip() if i < len(cells) else "") for c, i in columns.items()}
    errors, parsed = [], {}

    def check(column, parse):
        try:
            parsed[column] = parse(values[column], column)
        except FieldError as exc:
            errors.append(RowError(line, column, exc.problem))

    def currency(value, column):
        if value.upper() not in known:
            raise FieldError(column, _("%(value)s is not a known currency.", value=shown(value)))
        if column == "quote" and value.upper() == parsed.get("base"):
            raise FieldError(column, _("must differ from base (%(base)s).", base=parsed["base"]))
        return value.upper()

    for column, parse in (("date", parse_day), ("base", currency), ("quote", currency), ("rate", parse_rate)):
        check(column, parse)
    if errors:
        return None, errors
    return RateRow(line, parsed["date"], parsed["base"], parsed["quote"], parsed["rate"]), []


def _records(text):
    """``(line, cells)`` of every CSV record that is not blank; ``(line, RowError)``
    for one the csv module cannot read, after which reading stops."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, RowError(reader.line_num, "", _("this is not a readable CSV line (%(problem)s).",
                                                                   problem=exc))
            return
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def parse_rates_csv(data):
    """Read a rates file (columns date, base, quote, rate; any order; more
    columns are ignored). Returns ``(rows, errors)``: every error of every
    line, each naming its row and column, so one upload shows them all."""
    text, error = _decode(data)
    if error:
        return [], [error]
    known = set(db.session.execute(select(Currency.code)).scalars())
    columns, rows, errors, seen, count = None, [], [], {}, 0
    for line, cells in _records(text):
        if isinstance(cells, RowError):
            return [], [cells]
        if columns is None:
            columns, header_errors = _header(cells, line)
            if header_errors:
                return [], header_errors
            continue
        count += 1
        if count > MAX_IMPORT_ROWS:
            return [], [RowError(line, "", _("the file has more than %(n)s rows; split it.", n=MAX_IMPORT_ROWS))]
        row, row_errors = _check_record(cells, line, columns, known)
        errors += row_errors
        if row is not None:
            key = (row.base, row.quote, row.day)
            if key in seen:
                errors.append(RowError(line, "date", _("row %(row)s already has %(pair)s on %(day)s.", row=seen[key],
                                                       pair=f"{row.base}/{row.quote}", day=row.day.isoformat())))
            seen.setdefault(key, line)
            rows.append(row)
    if columns is None:
        errors.append(RowError(1, "", _("the file is empty; the first row must name the columns %(columns)s.",
                                        columns=", ".join(RATE_COLUMNS))))
    elif not rows and not errors:
        errors.append(RowError(2, "", _("the file has a header row but no rates.")))
    return rows, errors


@dataclass
class ImportResult:
    """How many rows an import added, changed, and found already stored as they are."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def import_rates(data, actor=None, filename=""):
    """Check a whole rates file, then store every row, or none when any row is
    wrong (``RateImportError`` lists every error). A row for a pair and day
    already stored replaces that rate. Audited once, with the counts."""
    rows, errors = parse_rates_csv(data)
    if errors:
        raise RateImportError(errors)
    existing = {}
    first, last = min(r.day for r in rows), max(r.day for r in rows)
    for row in db.session.execute(select(ExchangeRate).where(ExchangeRate.day >= first,
                                                             ExchangeRate.day <= last)).scalars():
        existing[(row.base, row.quote, row.day)] = row
    result = ImportResult()
    for r in rows:
        row = existing.get((r.base, r.quote, r.day))
        if row is None:
            db.session.add(ExchangeRate(base=r.base, quote=r.quote, day=r.day, rate=r.rate, source="import"))
            result.created += 1
        elif row.rate == r.rate:
            result.unchanged += 1
        else:
            row.rate, row.source = r.rate, "import"
            result.updated += 1
    db.session.flush()
    record("currency.rates_import", target=filename[:200] or "CSV", actor=actor,
           summary={"created": result.created, "updated": result.updated, "unchanged": result.unchanged})
    return result
