"""Statements: the list, the import form, one statement's lines."""
from flask import abort, request
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.paging import paginate

from ..models import MATCHED, UNMATCHED, Account, Statement, StatementLine
from ..parsers import FORMATS
from ..services import import_file
from ..services.importing import max_bytes
from .common import PER_PAGE, FinanceView, actor, int_arg, money, text_arg

SORTS = {"imported": Statement.imported_at, "ends": Statement.ends_on, "file": Statement.file_name}


class StatementsView(FinanceView):

    @expose("/")
    def index(self):
        """Imported statements, newest first; filters: account, unbalanced, text."""
        account_id, q, unbalanced = int_arg("account"), text_arg("q"), request.args.get("unbalanced") == "1"
        sort = text_arg("sort") or "-imported"
        column = SORTS.get(sort.lstrip("-"), Statement.imported_at)
        query = select(Statement).order_by(column.desc() if sort.startswith("-") else column.asc(),
                                           Statement.id.desc())
        if account_id:
            query = query.where(Statement.account_id == account_id)
        if unbalanced:
            query = query.where(Statement.balanced.is_(False))
        if q:
            query = query.where(Statement.file_name.contains(q, autoescape=True)
                                | Statement.reference.contains(q, autoescape=True))
        page = paginate(query, request.args.get("page"), PER_PAGE)
        return self.render("finance/statements.html", page=page, q=q, account_id=account_id, sort=sort,
                           unbalanced=unbalanced, accounts=_accounts(), formats=FORMATS, money=money,
                           can_write=self.can("write"))

    @expose("/import", methods=["GET", "POST"])
    def import_(self):
        """Upload a statement file into a chosen account."""
        if not self.can("write"):
            abort(403)
        if request.method == "GET":
            return self._form()
        account = db.session.get(Account, int_arg_form("account_id") or 0)
        upload = request.files.get("file")
        if account is None:
            return self._form(_("Account: choose the account the statement belongs to."))
        if upload is None or not upload.filename:
            return self._form(_("File: choose the statement file."))
        data = upload.stream.read(max_bytes() + 1)
        result = {}
        error = self.attempt(lambda: result.setdefault("r", import_file(actor(), account, upload.filename, data)),
                             _("Statement imported."))
        if error:
            return self._form(error)
        r = result["r"]
        return self.render("finance/import_done.html", result=r, account=account, formats=FORMATS)

    @expose("/<int:statement_id>")
    def detail(self, statement_id):
        """One statement: balances, the check, its lines with their status."""
        statement = db.session.get(Statement, statement_id)
        if statement is None:
            abort(404)
        status = request.args.get("status") if request.args.get("status") in (MATCHED, UNMATCHED) else ""
        query = select(StatementLine).where(StatementLine.statement_id == statement.id).order_by(StatementLine.id)
        if status:
            query = query.where(StatementLine.status == status)
        page = paginate(query, request.args.get("page"), PER_PAGE)
        return self.render("finance/statement.html", statement=statement, page=page, status=status, money=money,
                           formats=FORMATS)

    def _form(self, error=None):
        return self.render("finance/import.html", accounts=_accounts(), error=error,
                           selected=request.form.get("account_id", ""), limit=max_bytes() // (1024 * 1024))


def int_arg_form(name):
    raw = (request.form.get(name) or "").strip()
    return int(raw) if raw.isdigit() else None


def _accounts():
    return db.session.execute(select(Account).order_by(Account.code)).scalars().all()
