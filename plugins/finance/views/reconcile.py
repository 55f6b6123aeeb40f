"""The reconciliation workbench: unmatched statement lines on one side,
unmatched receivables on the other; a line's panel (HTMX) matches it by hand
to one receivable or splits it over several, or undoes its matches."""
from decimal import Decimal, InvalidOperation

from flask import abort, request
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from portal import access
from portal.extensions import db
from portal.paging import paginate

from ..models import UNMATCHED, Account, Receivable, StatementLine
from ..services import FinanceError, match_by_hand, unmatch
from ..services.matching import tokens
from .common import PER_PAGE, FinanceView, actor, int_arg, money, text_arg

SUGGESTED = 10


def _amount_arg(name):
    try:
        return Decimal(text_arg(name).replace(",", "")) if text_arg(name) else None
    except InvalidOperation:
        return None


class ReconcileView(FinanceView):

    @expose("/")
    def index(self):
        """Both sides, each filtered and paged on its own."""
        account_id, q, amount = int_arg("account"), text_arg("q"), _amount_arg("amount")
        lines = select(StatementLine).where(StatementLine.status == UNMATCHED)
        if account_id:
            lines = lines.where(StatementLine.account_id == account_id)
        if q:
            lines = lines.where(StatementLine.reference.contains(q, autoescape=True)
                                | StatementLine.description.contains(q, autoescape=True)
                                | StatementLine.counterparty.contains(q, autoescape=True))
        if amount is not None:
            lines = lines.where(StatementLine.amount == amount)
        rq, ramount = text_arg("rq"), _amount_arg("ramount")
        receivables = _receivables(rq, ramount)
        line_page = paginate(lines.order_by(StatementLine.booked_on.desc(), StatementLine.id.desc()),
                             request.args.get("page"), PER_PAGE)
        receivable_page = paginate(receivables.order_by(Receivable.due_on.desc(), Receivable.id.desc()),
                                   request.args.get("rpage"), PER_PAGE)
        accounts = db.session.execute(select(Account).order_by(Account.code)).scalars().all()
        return self.render("finance/reconcile.html", line_page=line_page, receivable_page=receivable_page,
                           accounts=accounts, account_id=account_id, q=q, amount=text_arg("amount"), rq=rq,
                           ramount=text_arg("ramount"), money=money,
                           bad_amount=bool(text_arg("amount")) and amount is None
                           or bool(text_arg("ramount")) and ramount is None)

    @expose("/line/<int:line_id>")
    def line(self, line_id):
        """A line's panel: its matches, and receivables to match it with."""
        return self._panel(self._line(line_id))

    @expose("/line/<int:line_id>/match", methods=["POST"])
    def match(self, line_id):
        """Match the line with the ticked receivables, each for the amount given."""
        line = self._line(line_id, write=True)

        def call():
            match_by_hand(actor(), line, _allocations(request.form))
        error = self.attempt(call, _("Line matched."))
        return self._panel(self._line(line_id), error=error, done=None if error else _("Line matched."))

    @expose("/line/<int:line_id>/unmatch", methods=["POST"])
    def unmatch(self, line_id):
        """Undo the line's matches."""
        line = self._line(line_id, write=True)
        error = self.attempt(lambda: unmatch(actor(), line), _("Match undone."))
        return self._panel(self._line(line_id), error=error, done=None if error else _("Match undone."))

    def _line(self, line_id, write=False):
        if write and not self.can("write"):
            abort(403)
        line = db.session.execute(select(StatementLine).where(StatementLine.id == line_id)
                                  .execution_options(populate_existing=True)).scalar_one_or_none()
        if line is None:
            abort(404)
        return line

    def _panel(self, line, error=None, done=None):
        find = text_arg("find")
        candidates = _candidates(line, find)
        return self.render("finance/line.html", partial="finance/_line.html", line=line, candidates=candidates,
                           find=find, error=error, done=done, money=money, can_write=self.can("write"),
                           left=Decimal(line.amount) - Decimal(line.matched))


def _receivables(q, amount):
    query = access.scoped(select(Receivable).where(Receivable.status == UNMATCHED), Receivable, "read")
    if q:
        query = query.where((Receivable.order_number == q.upper()) | (Receivable.reference == q)
                            | Receivable.order_number.startswith(q.upper(), autoescape=True))
    if amount is not None:
        query = query.where(Receivable.amount == amount)
    return query


def _candidates(line, find):
    """Receivables found by the search box, or else suggested: the line's
    references, then open receivables of its currency and amount."""
    if find:
        amount = None
        try:
            amount = Decimal(find.replace(",", ""))
        except InvalidOperation:
            pass
        query = _receivables("" if amount is not None else find, amount)
        return db.session.execute(query.order_by(Receivable.due_on.desc()).limit(SUGGESTED)).scalars().all()
    keys = tokens(line)
    found = []
    if keys:
        query = access.scoped(select(Receivable).where(Receivable.status == UNMATCHED,
                                                       Receivable.reference.in_(keys)
                                                       | Receivable.order_number.in_(keys)), Receivable, "read")
        found = db.session.execute(query.limit(SUGGESTED)).scalars().all()
    if len(found) < SUGGESTED:
        same = access.scoped(select(Receivable).where(Receivable.status == UNMATCHED,
                                                      Receivable.currency == line.currency,
                                                      Receivable.amount == line.amount), Receivable, "read")
        found += [r for r in db.session.execute(same.order_by(Receivable.due_on.desc())
                                                .limit(SUGGESTED)).scalars() if r not in found]
    return found[:SUGGESTED]


def _allocations(form):
    """``[(receivable, amount)]`` from the ticked ``receivable`` boxes and their ``amount-<id>`` fields."""
    ids = []
    for raw in form.getlist("receivable"):
        if not raw.isdigit():
            raise FinanceError(_("Receivable %(value)r is not a receivable number.", value=raw))
        ids.append(int(raw))
    found = {r.id: r for r in db.session.execute(access.scoped(select(Receivable).where(Receivable.id.in_(ids)),
                                                               Receivable, "write")).scalars()}
    allocations = []
    for receivable_id in ids:
        receivable = found.get(receivable_id)
        if receivable is None:
            raise FinanceError(_("Receivable %(id)s was not found.", id=receivable_id))
        raw = (form.get(f"amount-{receivable_id}") or "").strip().replace(",", "")
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise FinanceError(_("%(order)s: amount %(value)r is not a number.", order=receivable.order_number,
                                 value=raw)) from None
        if not amount.is_finite():
            raise FinanceError(_("%(order)s: amount %(value)r is not a number.", order=receivable.order_number,
                                 value=raw))
        allocations.append((receivable, amount))
    return allocations
