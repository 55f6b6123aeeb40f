"""What every statement parser returns, and the one error it raises.

A parser turns a file's text into ``ParsedStatement`` objects; it never
touches the database. ``line`` numbers are the file's own (1 = its first
line), so a refusal can name the line a person opens in an editor."""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _


class StatementFileError(ValueError):
    """The file cannot be read as a statement; ``line`` names where (0: the whole file)."""

    def __init__(self, message, line=0):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self):
        if self.line:
            return _("Line %(line)s: %(problem)s", line=self.line, problem=self.message)
        return self.message


@dataclass
class ParsedLine:
    """One booked movement: ``amount`` signed (credit positive), ``fee`` what
    the provider kept of it (zero for banks), so ``amount - fee`` reached the
    account when the file reports gross amounts."""

    line: int
    booked_on: date
    amount: Decimal
    currency: str
    reference: str = ""
    counterparty: str = ""
    description: str = ""
    value_on: date | None = None
    fee: Decimal = Decimal("0")
    bank_ref: str = ""


@dataclass
class ParsedStatement:
    """One statement of a file; ``opening``/``closing`` None when the format
    carries no balances (then ``balance_note`` says how the file was checked)."""

    line: int
    currency: str
    reference: str = ""
    account: str = ""
    opening: Decimal | None = None
    closing: Decimal | None = None
    opening_currency: str = ""
    closing_currency: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    lines: list = field(default_factory=list)
    # a check the format offers besides balances (WeChat's footer totals): None or a problem
    totals_problem: str | None = None


def decimal_amount(raw, line, decimal_sep=".", field_name=""):
    """``raw`` as a Decimal; thousands separators and spaces dropped."""
    text = (raw or "").strip().replace(" ", "").replace("\u00a0", "")
    if decimal_sep == ",":
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    if text.endswith("."):
        text += "0"
    if text.startswith("."):
        text = "0" + text
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise StatementFileError(_("%(field)s %(value)r is not an amount.", field=field_name or _("amount"),
                                   value=raw), line) from None
    if not value.is_finite():
        raise StatementFileError(_("%(value)r is not an amount.", value=raw), line)
    return value


def make_date(year, month, day, line, raw):
    """A date, or a refusal naming the impossible one (30 February)."""
    try:
        return date(year, month, day)
    except ValueError:
        raise StatementFileError(_("%(value)s is not a real date.", value=raw), line) from None
