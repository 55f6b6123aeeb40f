"""A bank's CSV read through the column mapping saved on the account."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from .base import ParsedLine, StatementFileError
from .tables import _cell, _clean, _index, _money, _rows, _without_balances

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%Y%m%d")


@dataclass
class ColumnMapping:
    """Which header names hold what; ``amount`` or ``credit``/``debit``."""

    date: str
    amount: str = ""
    credit: str = ""
    debit: str = ""
    reference: str = ""
    description: str = ""
    counterparty: str = ""
    balance: str = ""
    date_format: str = "%Y-%m-%d"
    delimiter: str = ","
    decimal: str = "."


def _value(cells, index, number, name, decimal):
    raw = _clean(_cell(cells, index))
    if not raw:
        return None
    if decimal == ",":
        raw = raw.replace(".", "").replace(",", ".")
    return _money(raw.replace(",", ""), number, name)


def _day(cells, index, number, fmt):
    raw = _clean(_cell(cells, index))
    try:
        return datetime.strptime(raw, fmt).date()
    except ValueError:
        raise StatementFileError(_("%(value)r is not a date in the form %(form)s.", value=raw, form=fmt),
                                 number) from None


def parse(text, mapping, currency):
    """The rows of a CSV file as one statement in ``currency``; with a balance
    column, its first and last values give the opening and closing balances."""
    rows = _rows(text.lstrip("\ufeff"), mapping.delimiter)
    header_line, header = next(rows, (0, []))
    if not header:
        raise StatementFileError(_("The CSV file is empty."))
    find = lambda name, required=False: _index(header, (name,), header_line, required) if name else None  # noqa: E731
    cols = {"date": find(mapping.date, True), "amount": find(mapping.amount, not mapping.credit),
            "credit": find(mapping.credit, not mapping.amount), "debit": find(mapping.debit, bool(mapping.credit)),
            "reference": find(mapping.reference), "description": find(mapping.description),
            "counterparty": find(mapping.counterparty), "balance": find(mapping.balance)}
    lines, opening, closing = [], None, None
    for number, cells in rows:
        if cols["amount"] is not None:
            amount = _value(cells, cols["amount"], number, mapping.amount, mapping.decimal)
        else:
            credit = _value(cells, cols["credit"], number, mapping.credit, mapping.decimal)
            debit = _value(cells, cols["debit"], number, mapping.debit, mapping.decimal)
            amount = (credit or 0) - abs(debit or 0) if (credit is not None or debit is not None) else None
        if amount is None:
            raise StatementFileError(_("the row has no amount."), number)
        if cols["balance"] is not None:
            balance = _value(cells, cols["balance"], number, mapping.balance, mapping.decimal)
            if balance is None:
                raise StatementFileError(_("the row has no balance."), number)
            if opening is None:
                opening = balance - amount
            closing = balance
        lines.append(ParsedLine(line=number, booked_on=_day(cells, cols["date"], number, mapping.date_format),
                                amount=amount, currency=currency,
                                reference=_clean(_cell(cells, cols["reference"])),
                                description=_clean(_cell(cells, cols["description"])),
                                counterparty=_clean(_cell(cells, cols["counterparty"]))))
    statement = _without_balances(lines, {currency}, header_line)
    if opening is not None:
        statement.opening, statement.closing = opening, closing
        statement.opening_currency = statement.closing_currency = currency
    return [statement]
