"""The platform's accounts statements are imported into, and their CSV column mappings."""
import re

from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.money import MoneyError, currency as known_currency

from ..models import ACCOUNT_KINDS, Account
from ..parsers.mapped import DATE_FORMATS
from .core import FinanceError, audit, guard

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
MAPPING_FIELDS = ("date", "amount", "credit", "debit", "reference", "description", "counterparty", "balance")


def _text(form, name, limit, required=False, label=None):
    value = (form.get(name) or "").replace("\x00", "").strip()
    if required and not value:
        raise FinanceError(_("%(field)s: required.", field=label or name))
    if len(value) > limit:
        raise FinanceError(_("%(field)s: at most %(n)s characters.", field=label or name, n=limit))
    return value


def save_account(actor, account, form):
    """Create (``account`` None) or change an account from form fields: code,
    name, kind, currency, number, methods. The currency of an account with
    statements cannot change."""
    guard(actor, "manage")
    code = _text(form, "code", 32, True, _("Code")).upper()
    if not CODE.match(code):
        raise FinanceError(_("Code: letters, digits, - and _ only, 2 to 32 characters."))
    clash = db.session.execute(select(Account.id).where(Account.code == code)).scalar()
    if clash is not None and (account is None or clash != account.id):
        raise FinanceError(_("Code: %(code)s is taken by another account.", code=code))
    kind = form.get("kind") or ""
    if kind not in ACCOUNT_KINDS:
        raise FinanceError(_("Kind: choose a bank account or a payment provider."))
    try:
        code_currency = known_currency(form.get("currency") or "").code
    except MoneyError as exc:
        raise FinanceError(str(exc)) from None
    if account is not None and account.currency != code_currency and _has_statements(account):
        raise FinanceError(_("Currency: the account has statements in %(code)s; it cannot change.",
                             code=account.currency))
    methods = ",".join(m.strip().lower() for m in _text(form, "methods", 200).split(",") if m.strip())
    values = {"code": code, "name": _text(form, "name", 120, True, _("Name")), "kind": kind,
              "currency": code_currency, "number": _text(form, "number", 64), "methods": methods}
    created = account is None
    if created:
        account = Account(**values)
        db.session.add(account)
    else:
        for key, value in values.items():
            setattr(account, key, value)
    db.session.flush()
    audit("account_created" if created else "account_changed", actor, f"account:{account.code}", **values)
    return account


def _has_statements(account):
    from ..models import Statement
    return db.session.execute(select(Statement.id).where(Statement.account_id == account.id).limit(1)).first()


def save_mapping(actor, account, form):
    """Save the CSV column mapping of an account (header names of the bank's
    file); an empty date column removes the mapping."""
    guard(actor, "manage")
    values = {name: _text(form, f"map_{name}", 80) for name in MAPPING_FIELDS}
    if not values["date"]:
        account.csv_mapping = None
        audit("mapping_removed", actor, f"account:{account.code}")
        return account
    if not values["amount"] and not values["credit"]:
        raise FinanceError(_("Mapping: name the amount column, or the credit and debit columns."))
    date_format = form.get("map_date_format") or DATE_FORMATS[0]
    if date_format not in DATE_FORMATS:
        raise FinanceError(_("Mapping: choose a date form from the list."))
    delimiter = {"comma": ",", "semicolon": ";", "tab": "\t"}.get(form.get("map_delimiter") or "comma")
    decimal = "," if form.get("map_decimal") == "comma" else "."
    if delimiter is None:
        raise FinanceError(_("Mapping: choose comma, semicolon or tab as the separator."))
    account.csv_mapping = {**values, "date_format": date_format, "delimiter": delimiter, "decimal": decimal}
    audit("mapping_saved", actor, f"account:{account.code}", **account.csv_mapping)
    return account
