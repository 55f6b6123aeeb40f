"""Reading statement files: the encoding and the format are told from the
bytes, then one parser per format turns the text into ``ParsedStatement``s.

``read(data, mapping=None, currency="")`` answers ``(format, encoding,
statements)`` or raises ``StatementFileError`` saying what it could not tell."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from . import camt, mt940, tables
from . import mapped as mapped_csv
from .base import ParsedLine, ParsedStatement, StatementFileError  # noqa: F401
from .mapped import ColumnMapping  # noqa: F401

FORMATS = {
    "mt940": lazy_gettext("SWIFT MT940"),
    "camt053": lazy_gettext("ISO 20022 CAMT.053"),
    "stripe": lazy_gettext("Stripe balance transactions (CSV)"),
    "alipay": lazy_gettext("Alipay account bill"),
    "wechat": lazy_gettext("WeChat Pay trade bill"),
    "csv": lazy_gettext("CSV with the account's column mapping"),
}


def decode(data):
    """``(text, encoding)``: UTF-8 (with or without BOM) or UTF-16 with a BOM,
    else GBK (as GB18030, its superset) for the Chinese bills, else refused."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StatementFileError(_("The file holds binary data; it is not a statement file."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError:
        raise StatementFileError(_("The file's encoding could not be told: it is neither UTF-8 nor GBK. Save "
                                   "it as UTF-8 and import it again.")) from None


def detect(text):
    """The format's key, or None."""
    head = text.lstrip("\ufeff \r\n\t")
    if head.startswith("<"):
        return "camt053"
    if mt940.looks_like(text):
        return "mt940"
    if tables.looks_like_alipay(text):
        return "alipay"
    if tables.looks_like_wechat(text):
        return "wechat"
    if tables.looks_like_stripe(text):
        return "stripe"
    return None


def read(data, mapping=None, currency=""):
    """Decode, detect and parse; a CSV nobody recognises is read through
    ``mapping`` (a ``ColumnMapping``) when the account has one."""
    text, encoding = decode(data)
    kind = detect(text)
    if kind is None and mapping is not None:
        kind = "csv"
    if kind is None:
        raise StatementFileError(_("The file's format could not be told: it is not MT940, CAMT.053, a Stripe "
                                   "balance export, an Alipay or WeChat Pay bill, and the account has no CSV "
                                   "column mapping."))
    if kind == "mt940":
        statements = mt940.parse(text)
    elif kind == "camt053":
        statements = camt.parse(text)
    elif kind == "stripe":
        statements = tables.parse_stripe(text)
    elif kind == "alipay":
        statements = tables.parse_alipay(text)
    elif kind == "wechat":
        statements = tables.parse_wechat(text)
    else:
        statements = mapped_csv.parse(text, mapping, currency)
    return kind, encoding, statements
