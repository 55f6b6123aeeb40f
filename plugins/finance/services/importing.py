"""Importing a statement file into an account: all or nothing.

Everything is read and checked before anything is written: the encoding, the
format, every line (a broken one refuses the file, naming its line), the
account's number and currency. Then each statement is stored with whether
its opening balance plus its lines gives its closing balance (flagged when
not), and each line once: a line's fingerprint is its account, day, amount,
currency, references, text and how many identical lines came before it in
the same statement, so importing the same file, or one that overlaps, stores
only what is new. The new lines are matched at once."""
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select

from portal.extensions import db
from portal.models import utcnow
from portal.money import quantize

from ..models import UNBALANCED, Statement, StatementLine
from ..parsers import FORMATS, ColumnMapping, StatementFileError, read
from .core import FinanceError, audit, guard
from .flags import raise_flag
from .matching import auto_match


class ImportRefused(FinanceError):
    """The file was refused; nothing was stored."""


@dataclass
class ImportResult:
    """What an import stored and what it found."""

    format: str
    encoding: str
    statements: list = field(default_factory=list)
    stored: int = 0
    skipped: int = 0
    matched: int = 0
    unbalanced: int = 0


def max_bytes():
    return current_app.config.get("FINANCE_STATEMENT_MAX_BYTES", 20 * 1024 * 1024)


def clean_name(filename):
    """The client's file name, only to show it: no folders, no control characters."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable()).strip()[:255] or "statement"


def import_file(actor, account, file_name, data, now=None):
    """Import ``data`` (bytes) into ``account``; returns an ``ImportResult``
    or raises ``ImportRefused`` with the reason (the line's number in it)."""
    guard(actor, "write")
    name = clean_name(file_name)
    if not data:
        raise ImportRefused(_("%(name)s is empty.", name=name))
    if len(data) > max_bytes():
        raise ImportRefused(_("%(name)s is too large: the limit is %(limit)s MB.", name=name,
                              limit=max_bytes() // (1024 * 1024)))
    digest = hashlib.sha256(data).hexdigest()
    earlier = db.session.execute(select(Statement).where(Statement.account_id == account.id,
                                                         Statement.file_sha256 == digest).limit(1)).scalar()
    if earlier is not None:
        raise ImportRefused(_("%(name)s was already imported into %(account)s on %(day)s; nothing was stored "
                              "again.", name=name, account=account.code, day=earlier.imported_at.date()))
    mapping = ColumnMapping(**account.csv_mapping) if account.csv_mapping else None
    try:
        kind, encoding, parsed = read(data, mapping, account.currency)
        for statement in parsed:
            _check(account, statement)
    except StatementFileError as exc:
        raise ImportRefused(_("%(name)s was not imported: %(problem)s", name=name, problem=str(exc))) from None
    result = ImportResult(format=kind, encoding=encoding)
    now = now or utcnow()
    new_ids = []
    for statement in parsed:
        new_ids.extend(_store(actor, account, name, digest, kind, encoding, statement, result, now))
    audit("import", actor, f"account:{account.code}", file=name, sha256=digest, format=kind, encoding=encoding,
          statements=[s.id for s in result.statements], stored=result.stored, skipped=result.skipped)
    result.matched = auto_match(new_ids)
    return result


def _check(account, statement):
    """Refusals for the whole file: another account, another currency, amounts
    finer than the currency allows."""
    if account.number and statement.account and \
            _plain(statement.account) != _plain(account.number):
        raise StatementFileError(_("the statement is for account %(theirs)s, not %(ours)s.",
                                   theirs=statement.account, ours=account.number), statement.line)
    if statement.currency and statement.currency != account.currency:
        raise StatementFileError(_("the statement is in %(theirs)s; the account %(code)s is in %(ours)s.",
                                   theirs=statement.currency, code=account.code, ours=account.currency),
                                 statement.line)
    for entry in statement.lines:
        for value in (entry.amount, entry.fee):
            if _too_fine(value, entry.currency or account.currency):
                raise StatementFileError(_("%(amount)s has more decimals than %(currency)s allows.", amount=value,
                                           currency=entry.currency), entry.line)


def _plain(number):
    return "".join(ch for ch in number.upper() if ch.isalnum())


def _too_fine(value, currency):
    try:
        return quantize(value, currency) != value
    except Exception:  # an unknown currency: the balance check will tell
        return False


def balance_problem(statement, currency):
    """Why the statement does not add up, or "" when it does (or cannot be checked)."""
    if statement.totals_problem:
        return statement.totals_problem
    if statement.opening is None or statement.closing is None:
        return ""
    for which, code in ((_("opening"), statement.opening_currency), (_("closing"), statement.closing_currency)):
        if code and code != currency:
            return _("The %(which)s balance is in %(code)s, the statement in %(currency)s.", which=which, code=code,
                     currency=currency)
    total = sum((entry.amount for entry in statement.lines), Decimal(0))
    if statement.opening + total != statement.closing:
        return _("Opening balance %(opening)s plus the lines (%(total)s) is %(sum)s, not the closing balance "
                 "%(closing)s.", opening=statement.opening, total=total, sum=statement.opening + total,
                 closing=statement.closing)
    return ""


def fingerprints(account_id, statement):
    """One fingerprint per line (see the module's docstring)."""
    seen = Counter()
    prints = []
    for entry in statement.lines:
        base = "|".join(str(p) for p in (account_id, entry.booked_on, entry.amount.normalize(), entry.currency,
                                         entry.bank_ref, entry.reference, " ".join(entry.description.split())))
        seen[base] += 1
        prints.append(hashlib.sha256(f"{base}|{seen[base]}".encode()).hexdigest())
    return prints


def _existing(account_id, prints):
    found = set()
    for start in range(0, len(prints), 500):
        query = select(StatementLine.fingerprint).where(StatementLine.account_id == account_id,
                                                        StatementLine.fingerprint.in_(prints[start:start + 500]))
        found.update(db.session.execute(query).scalars())
    return found


def _store(actor, account, name, digest, kind, encoding, parsed, result, now):
    problem = balance_problem(parsed, parsed.currency or account.currency)
    statement = Statement(account_id=account.id, file_name=name, file_sha256=digest, format=kind, encoding=encoding,
                          reference=parsed.reference[:120], currency=parsed.currency or account.currency,
                          opening=parsed.opening, closing=parsed.closing, starts_on=parsed.starts_on,
                          ends_on=parsed.ends_on, balanced=not problem, problem=problem[:500],
                          lines_in_file=len(parsed.lines), imported_at=now, imported_by_id=getattr(actor, "id", None))
    db.session.add(statement)
    db.session.flush()
    prints = fingerprints(account.id, parsed)
    known = _existing(account.id, prints)
    rows = []
    for entry, print_ in zip(parsed.lines, prints):
        if print_ in known:
            result.skipped += 1
            continue
        known.add(print_)
        rows.append(dict(statement_id=statement.id, account_id=account.id, file_line=entry.line,
                         booked_on=entry.booked_on, amount=entry.amount, fee=entry.fee,
                         currency=entry.currency or statement.currency, reference=entry.reference[:200],
                         bank_ref=entry.bank_ref[:200], counterparty=entry.counterparty[:200],
                         description=entry.description[:1000], fingerprint=print_, status="unmatched", matched=0))
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(StatementLine), rows[start:start + 5000])
    statement.lines_stored = len(rows)
    result.stored += len(rows)
    result.statements.append(statement)
    if problem:
        result.unbalanced += 1
        raise_flag(UNBALANCED, f"{UNBALANCED}:{statement.id}", problem, statement=statement)
    db.session.flush()
    return db.session.execute(select(StatementLine.id).where(StatementLine.statement_id == statement.id)
                              .order_by(StatementLine.id)).scalars().all()


def format_label(kind):
    return FORMATS.get(kind, kind)
