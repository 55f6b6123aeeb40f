"""Settlements: the list (a merchant's staff see their own), one settlement
with its lines, the run, the approval of a large payout, the statement PDF."""
import csv
import io

from flask import abort, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import access
from portal.documents import send_document
from portal.extensions import db
from portal.models import Merchant
from portal.paging import paginate
from portal.views import PortalView

from ..documents import find_statement, issue_statement, renders_in_request
from ..models import SETTLEMENT_STATUSES, Settlement, SettlementLine
from ..services import FinanceError
from ..services.settlement import PAYOUT, PAYOUT_COLUMNS, approve, payout_rows, run_settlements
from .common import PER_PAGE, actor, int_arg, money, text_arg

RESOURCE = "finance.settlement"


class SettlementsView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """Settlements in the user's scope, newest period first."""
        status = text_arg("status") if text_arg("status") in SETTLEMENT_STATUSES else ""
        merchant_id = None if current_user.merchant_id else int_arg("merchant")
        q = text_arg("q")
        query = access.scoped(select(Settlement), Settlement, "read")
        if status:
            query = query.where(Settlement.status == status)
        if merchant_id:
            query = query.where(Settlement.merchant_id == merchant_id)
        if q:
            query = query.where(Settlement.number.contains(q.upper(), autoescape=True))
        page = paginate(query.order_by(Settlement.period_start.desc(), Settlement.id.desc()),
                        request.args.get("page"), PER_PAGE)
        merchants = [] if current_user.merchant_id else db.session.execute(
            access.scoped(select(Merchant), Merchant, "read").order_by(Merchant.code)).scalars().all()
        return self.render("finance/settlements.html", page=page, status=status, merchant_id=merchant_id, q=q,
                           merchants=merchants, statuses=SETTLEMENT_STATUSES, money=money,
                           can_run=self.can("manage") and current_user.merchant_id is None,
                           can_export=access.has_level(PAYOUT, "manage") and current_user.merchant_id is None)

    @expose("/run", methods=["POST"])
    def run(self):
        """Settle every merchant's last ended period."""
        if not self.can("manage") or current_user.merchant_id is not None:
            abort(403)
        try:
            created = run_settlements(actor())
            db.session.commit()
            flash(_("%(n)s settlements made.", n=len(created)) if created else
                  _("Nothing to settle: every ended period is settled already."), "success")
        except (FinanceError, access.AccessDenied) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        return redirect(url_for(".index"))

    @expose("/payouts.csv", methods=["POST"])
    def payouts(self):
        """The payouts to make as CSV (settlements ready to pay or approved)."""
        if not access.has_level(PAYOUT, "manage") or current_user.merchant_id is not None:
            abort(403)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(PAYOUT_COLUMNS)
        writer.writerows(payout_rows(actor()))
        db.session.commit()
        response = make_response(buffer.getvalue().encode("utf-8-sig"))
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = "attachment; filename=payouts.csv"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/<int:settlement_id>")
    def detail(self, settlement_id):
        """One settlement: its figures, its lines, its approval and statement."""
        settlement = access.get_or_404(Settlement, settlement_id, RESOURCE, "read")
        lines = paginate(select(SettlementLine).where(SettlementLine.settlement_id == settlement.id)
                         .order_by(SettlementLine.id), request.args.get("page"), PER_PAGE)
        can_approve = (settlement.status == "awaiting_approval" and access.has_level(PAYOUT, "manage")
                       and current_user.merchant_id is None and settlement.created_by_id != current_user.id)
        statement = find_statement(settlement)
        return self.render("finance/settlement.html", settlement=settlement, lines=lines, money=money,
                           statuses=SETTLEMENT_STATUSES, can_approve=can_approve, statement=statement,
                           can_issue=statement is not None or renders_in_request(settlement))

    @expose("/<int:settlement_id>/approve", methods=["POST"])
    def approve(self, settlement_id):
        """Approve a payout above the approval amount (a second person)."""
        settlement = access.get_or_404(Settlement, settlement_id, RESOURCE, "read")
        if not access.has_level(PAYOUT, "manage"):
            abort(403)
        try:
            approve(actor(), settlement)
            db.session.commit()
            flash(_("Payout approved."), "success")
        except (FinanceError, access.AccessDenied) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        return redirect(url_for(".detail", settlement_id=settlement_id))

    @expose("/<int:settlement_id>/statement.pdf")
    def statement(self, settlement_id):
        """The settlement statement, issued on first request when it is short;
        a long one is issued by the scheduled job first."""
        settlement = access.get_or_404(Settlement, settlement_id, RESOURCE, "read")
        doc = find_statement(settlement)
        if doc is None:
            if not renders_in_request(settlement):
                flash(_("The statement is long and is being prepared; it will be here within minutes."), "info")
                return redirect(url_for(".detail", settlement_id=settlement_id))
            doc = issue_statement(actor(), settlement)
            db.session.commit()
        return send_document(doc, f"{settlement.number}.pdf")
