"""SWIFT MT940 customer statements.

Tolerates what real banks send: header lines before the first tag (ABN AMRO's
"ABNANL2A / 940", ING's "0000 01INGB..."), SOH/ETX control bytes around the
message, ``-`` or ``-XXX`` trailers, several statements per file, intermediate
balances (``:60M:``/``:62M:``), several ``:86:`` fields per line and
statement-level ``:86:`` after the closing balance. An MT942 interim report
(``:34F:``/``:13D:``, no balances) is refused: its lines are not final."""
import re
from decimal import Decimal

from flask_babel import gettext as _

from .base import ParsedLine, ParsedStatement, StatementFileError, decimal_amount, make_date

TAG = re.compile(r"^:(\d{2,3}[A-Z]?|NS):(.*)$")
BALANCE = re.compile(r"^([CD])(\d{6})([A-Z]{3})([\d,]+)$")
ENTRY = re.compile(r"^(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d[\d,]*|,\d+)([A-Z][A-Z0-9 ]{3})(.*)$", re.S)
CONTROL = str.maketrans("", "", "\x01\x02\x03\x04")


def looks_like(text):
    """Does the text carry MT940/MT942 tags?"""
    return bool(re.search(r"^:20:", text, re.M)) and bool(re.search(r"^:(61|60[FM]|62[FM]|34F):", text, re.M))


def _year(two_digits):
    value = int(two_digits)
    return 2000 + value if value < 80 else 1900 + value


def _date6(raw, line):
    return make_date(_year(raw[:2]), int(raw[2:4]), int(raw[4:6]), line, raw)


def _fields(text):
    """``(tag, value, line_number)`` with continuation lines joined by newlines."""
    current = None
    for number, raw in enumerate(text.translate(CONTROL).splitlines(), start=1):
        line = raw.rstrip("\r")
        match = TAG.match(line)
        if match:
            if current:
                yield current
            current = [match.group(1), match.group(2), number]
        elif current is not None:
            if not line.strip():
                continue
            if line.strip() == "-" or line.startswith("-XXX"):
                yield current
                current = None
            else:
                current[1] += "\n" + line
    if current:
        yield current


def _balance(value, line):
    match = BALANCE.match(value.strip())
    if not match:
        raise StatementFileError(_("the balance %(value)r is not in the form C/D, YYMMDD, currency, amount.",
                                   value=value.strip()), line)
    sign, day, currency, amount = match.groups()
    amount = decimal_amount(amount, line, ",", _("balance"))
    return (-amount if sign == "D" else amount), _date6(day, line), currency


def _entry(value, line, currency):
    first, _sep, rest = value.partition("\n")
    match = ENTRY.match(first.strip())
    if not match:
        raise StatementFileError(_("the transaction %(value)r is not a valid :61: field.", value=first.strip()), line)
    value_day, entry_day, mark, _funds, amount, _type, reference = match.groups()
    value_on = _date6(value_day, line)
    booked_on = value_on
    if entry_day:
        year = value_on.year
        # an entry booked in January for a December value date belongs to the next year
        if int(entry_day[:2]) < value_on.month - 6:
            year += 1
        elif int(entry_day[:2]) > value_on.month + 6:
            year -= 1
        booked_on = make_date(year, int(entry_day[:2]), int(entry_day[2:]), line, entry_day)
    amount = decimal_amount(amount, line, ",")
    # a debit, or the reversal of a credit, takes money out
    signed = -amount if mark in ("D", "RC") else amount
    ref, _slash, bank_ref = reference.partition("//")
    return ParsedLine(line=line, booked_on=booked_on, value_on=value_on, amount=signed, currency=currency,
                      reference=ref.strip(), bank_ref=bank_ref.strip(), description=rest.strip())


def parse(text):
    """Every statement in an MT940 file; ``StatementFileError`` on the first broken field."""
    statements, current, last_line, interim = [], None, None, False
    for tag, value, number in _fields(text):
        if tag == "20":
            current = ParsedStatement(line=number, currency="", reference=value.strip())
            statements.append(current)
            last_line = None
            continue
        if current is None:
            continue  # header lines and ABN AMRO's ":940:" before the first statement
        if tag == "25":
            current.account = value.strip()
        elif tag in ("28", "28C"):
            current.reference = f"{current.reference} {value.strip()}".strip()
        elif tag in ("60F", "60M"):
            current.opening, current.starts_on, current.opening_currency = _balance(value, number)
            current.currency = current.opening_currency
        elif tag in ("62F", "62M"):
            current.closing, current.ends_on, current.closing_currency = _balance(value, number)
            last_line = None
        elif tag in ("34F", "13D", "90D", "90C"):
            interim = True
        elif tag == "61":
            last_line = _entry(value, number, current.currency)
            current.lines.append(last_line)
        elif tag in ("86", "NS") and last_line is not None:
            extra = " ".join(part.strip() for part in value.splitlines() if part.strip())
            last_line.description = " ".join(p for p in (last_line.description, extra) if p)
    if interim and not any(s.opening is not None for s in statements):
        raise StatementFileError(_("This is an MT942 interim report, not a closing statement: its lines are not "
                                   "final. Import the bank's MT940 statement for the day instead."))
    if not statements:
        raise StatementFileError(_("No statement (:20: field) found in the MT940 file."))
    for statement in statements:
        _check_complete(statement)
    return statements


def _check_complete(statement):
    if statement.opening is None or statement.closing is None:
        raise StatementFileError(_("the statement %(ref)s has no opening (:60F:) or closing (:62F:) balance.",
                                   ref=statement.reference), statement.line)
    for entry in statement.lines:
        entry.currency = statement.currency
    if not statement.lines and statement.opening is None:
        statement.opening = Decimal("0")
