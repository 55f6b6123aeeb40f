"""Matching statement lines to receivables.

Automatic: a line's reference, bank reference and text are cut into tokens;
a token equal to a receivable's provider reference or order number makes it
a candidate. A candidate in the line's currency for the line's amount (gross:
a provider's fee is kept on the line, split out), booked within the set
number of days, is matched. Without a reference, one receivable of the same
currency and amount inside the window, and only one, is matched. What
disagrees raises a flag (``flags.py``) and is left for a person.

Manual: a person allocates a line to one receivable or splits it over
several, or undoes a line's matches; each writes an audit row."""
import re
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import insert, select

from plugins.orders.models import CANCELLED, PENDING_PAYMENT, Order
from portal import settings
from portal.extensions import db
from portal.models import utcnow
from portal.money import quantize

from ..models import (AMOUNT_DIFFERS, CURRENCY_DIFFERS, DUPLICATE, MATCHED, UNMATCHED, UNPAID_ORDER, Match,
                      Receivable, StatementLine)
from .core import FinanceError, audit, guard
from .flags import raise_flag

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{3,63}")
CHUNK = 1000
_PENDING = []  # match rows of the chunk being matched, inserted together
MAX_TOKENS = 24


def tokens(line):
    """The words of a line that could be a reference, longest texts first."""
    found = []
    for text in (line.reference, line.bank_ref, line.description):
        for token in TOKEN.findall(text or ""):
            if token not in found:
                found.append(token)
    return found[:MAX_TOKENS]


def auto_match(line_ids):
    """Match the given lines where the rules allow; returns how many were matched."""
    window = timedelta(days=settings.get("finance.match_days"))
    matched = 0
    ids = list(line_ids)
    for start in range(0, len(ids), CHUNK):
        lines = db.session.execute(select(StatementLine).where(StatementLine.id.in_(ids[start:start + CHUNK]),
                                                               StatementLine.status == UNMATCHED)
                                   .order_by(StatementLine.id)).scalars().all()
        try:
            with db.session.no_autoflush:
                matched += _match_chunk(lines, window)
            _insert_pending()
        finally:
            _PENDING.clear()
        db.session.flush()
    return matched


def _match_chunk(lines, window):
    line_tokens = {line.id: tokens(line) for line in lines}
    everything = {t for ts in line_tokens.values() for t in ts}
    by_token = _receivables_by_token(everything)
    orders = _unpaid_orders(everything - set(by_token))
    pool = _pool([line for line in lines if not any(t in by_token for t in line_tokens[line.id])])
    matched = 0
    for line in lines:
        candidates = list({r.id: r for t in line_tokens[line.id] for r in by_token.get(t, ())}.values())
        if candidates:
            matched += _by_reference(line, candidates, window)
        elif any(t in orders for t in line_tokens[line.id]):
            order = next(orders[t] for t in line_tokens[line.id] if t in orders)
            if line.amount > 0:
                raise_flag(UNPAID_ORDER, f"{UNPAID_ORDER}:{line.id}", _(
                    "%(amount)s %(currency)s received for order %(order)s, which is %(state)s.",
                    amount=line.amount, currency=line.currency, order=order.number, state=order.state),
                    line=line, order_number=order.number)
        else:
            matched += _by_amount(line, pool, window)
    return matched


def _receivables_by_token(all_tokens):
    found = defaultdict(list)
    values = sorted(all_tokens)
    for start in range(0, len(values), 500):
        part = values[start:start + 500]
        query = select(Receivable).where(Receivable.reference.in_(part) | Receivable.order_number.in_(part))
        for receivable in db.session.execute(query).scalars():
            for key in (receivable.reference, receivable.order_number):
                if key in part and receivable not in found[key]:
                    found[key].append(receivable)
    return found


def _unpaid_orders(all_tokens):
    found = {}
    values = sorted(t for t in all_tokens if t[:1] == "O")
    for start in range(0, len(values), 500):
        query = select(Order).where(Order.number.in_(values[start:start + 500]),
                                    Order.state.in_((PENDING_PAYMENT, CANCELLED)))
        for order in db.session.execute(query).scalars():
            found[order.number] = order
    return found


def _pool(lines):
    """Open receivables in the currencies and amounts of lines without a reference."""
    wanted = defaultdict(set)
    for line in lines:
        wanted[line.currency].add(line.amount)
    pool = defaultdict(list)
    for currency, amounts in wanted.items():
        values = sorted(amounts)
        for start in range(0, len(values), 500):
            query = select(Receivable).where(Receivable.currency == currency, Receivable.status == UNMATCHED,
                                             Receivable.amount.in_(values[start:start + 500]))
            for receivable in db.session.execute(query).scalars():
                pool[(currency, Decimal(receivable.amount))].append(receivable)
    return pool


def _in_window(line, receivable, window):
    return abs(line.booked_on - receivable.due_on.date()) <= window


def _by_reference(line, candidates, window):
    same_currency = [r for r in candidates if r.currency == line.currency]
    if not same_currency:
        other = candidates[0]
        raise_flag(CURRENCY_DIFFERS, f"{CURRENCY_DIFFERS}:{line.id}:{other.id}", _(
            "The line is in %(line)s, the receivable of %(order)s in %(receivable)s.", line=line.currency,
            order=other.order_number, receivable=other.currency), line=line, receivable=other)
        return 0
    open_ = [r for r in same_currency if r.status == UNMATCHED and r.matched == 0]
    if not open_:
        taken = same_currency[0]
        raise_flag(DUPLICATE, f"{DUPLICATE}:{line.id}:{taken.id}", _(
            "%(order)s's payment of %(amount)s %(currency)s was already received; this line brings it again.",
            order=taken.order_number, amount=taken.amount, currency=taken.currency), line=line, receivable=taken)
        return 0
    exact = [r for r in open_ if r.amount == line.amount and _in_window(line, r, window)]
    if exact:
        _allocate(line, exact[0], line.amount, automatic=True)
        return 1
    other = open_[0]
    if other.amount != line.amount:
        raise_flag(AMOUNT_DIFFERS, f"{AMOUNT_DIFFERS}:{line.id}:{other.id}", _(
            "%(amount)s %(currency)s received for %(order)s, which expects %(expected)s %(currency)s.",
            amount=line.amount, currency=line.currency, order=other.order_number, expected=other.amount),
            line=line, receivable=other)
    return 0


def _by_amount(line, pool, window):
    candidates = [r for r in pool.get((line.currency, Decimal(line.amount)), ())
                  if r.status == UNMATCHED and _in_window(line, r, window)]
    if len(candidates) != 1:
        return 0  # none, or several the amount alone cannot tell apart: a person decides
    _allocate(line, candidates[0], line.amount, automatic=True)
    return 1


def _allocate(line, receivable, amount, automatic=False, actor=None):
    """Book ``amount`` of the line on the receivable; returns the match row
    for the caller to insert with the others (by ids and in bulk: building the
    relationships would load both sides' match lists, one query each)."""
    row = {"line_id": line.id, "receivable_id": receivable.id, "amount": amount, "automatic": automatic,
           "created_by_id": getattr(actor, "id", None), "created_at": utcnow()}
    line.matched = Decimal(line.matched or 0) + amount
    receivable.matched = Decimal(receivable.matched or 0) + amount
    line.status = MATCHED if line.matched == line.amount else UNMATCHED
    receivable.status = MATCHED if receivable.matched == receivable.amount else UNMATCHED
    _PENDING.append(row)


def _insert_pending():
    if _PENDING:
        rows = list(_PENDING)
        _PENDING.clear()
        db.session.execute(insert(Match), rows)


def match_waiting_lines(receivables):
    """Lines already imported that name the new receivables are matched now."""
    keys = {r.reference for r in receivables if r.reference} | {r.order_number for r in receivables}
    ids = set()
    for key in keys:
        query = select(StatementLine.id).where(StatementLine.status == UNMATCHED, StatementLine.matched == 0,
                                               (StatementLine.reference == key) | (StatementLine.bank_ref == key)
                                               | StatementLine.description.contains(key, autoescape=True))
        ids.update(db.session.execute(query.limit(50)).scalars())
    return auto_match(sorted(ids)) if ids else 0


# -- by hand ---------------------------------------------------------------------------

def match_by_hand(actor, line, allocations):
    """Allocate ``line`` to receivables: ``[(receivable, amount), ...]``, one
    for a match, several for a split. Refused when a currency differs, an
    amount has the wrong sign or too many decimals, or the allocations exceed
    what is left on the line or on a receivable."""
    guard(actor, "write")
    if not allocations:
        raise FinanceError(_("Choose at least one receivable to match the line with."))
    left = Decimal(line.amount) - Decimal(line.matched)
    total = Decimal(0)
    for receivable, amount in allocations:
        _check_allocation(line, receivable, amount)
        total += amount
    if abs(total) > abs(left):
        raise FinanceError(_("The amounts add up to %(total)s %(currency)s, more than the %(left)s %(currency)s left "
                             "on the line.", total=total, currency=line.currency, left=left))
    try:
        for receivable, amount in allocations:
            _allocate(line, receivable, amount, actor=actor)
        _insert_pending()
    finally:
        _PENDING.clear()
    db.session.flush()
    db.session.expire(line, ["matches"])
    audit("match", actor, f"line:{line.id}", receivables=[r.id for r, _a in allocations],
          orders=[r.order_number for r, _a in allocations], amounts=[str(a) for _r, a in allocations],
          split=len(allocations) > 1)
    return line


def _check_allocation(line, receivable, amount):
    if receivable.currency != line.currency:
        raise FinanceError(_("%(order)s is in %(receivable)s and the line in %(line)s; they cannot be matched.",
                             order=receivable.order_number, receivable=receivable.currency, line=line.currency))
    if amount == 0 or (amount > 0) != (line.amount > 0):
        raise FinanceError(_("%(order)s: the amount must be non-zero and have the line's sign.",
                             order=receivable.order_number))
    if quantize(amount, line.currency) != amount:
        raise FinanceError(_("%(order)s: %(amount)s has more decimals than %(currency)s allows.",
                             order=receivable.order_number, amount=amount, currency=line.currency))
    left = Decimal(receivable.amount) - Decimal(receivable.matched)
    if abs(amount) > abs(left) or (left > 0) != (amount > 0):
        raise FinanceError(_("%(order)s has %(left)s %(currency)s left to receive; %(amount)s is more.",
                             order=receivable.order_number, left=left, currency=receivable.currency, amount=amount))


def unmatch(actor, line):
    """Undo every match of ``line``; both sides are open again."""
    guard(actor, "write")
    matches = list(line.matches)
    if not matches:
        raise FinanceError(_("The line is not matched; there is nothing to undo."))
    for match in matches:
        receivable = match.receivable
        receivable.matched = Decimal(receivable.matched) - Decimal(match.amount)
        receivable.status = UNMATCHED
        db.session.delete(match)
    line.matched, line.status = Decimal(0), UNMATCHED
    db.session.flush()
    audit("unmatch", actor, f"line:{line.id}", receivables=[m.receivable_id for m in matches],
          amounts=[str(m.amount) for m in matches])
    return line
