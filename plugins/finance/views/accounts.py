"""Accounts: the list, a form to add or change one, and its CSV column mapping."""
from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.paging import paginate

from ..models import ACCOUNT_KINDS, Account
from ..parsers.mapped import DATE_FORMATS
from ..services.accounts import save_account, save_mapping
from .common import PER_PAGE, FinanceView, actor, text_arg


class AccountsView(FinanceView):

    @expose("/")
    def index(self):
        """The accounts, searchable by code or name."""
        q = text_arg("q")
        query = select(Account).order_by(Account.code)
        if q:
            query = query.where(Account.code.contains(q.upper(), autoescape=True)
                                | Account.name.contains(q, autoescape=True))
        page = paginate(query, request.args.get("page"), PER_PAGE)
        return self.render("finance/accounts.html", page=page, q=q, kinds=ACCOUNT_KINDS,
                           can_manage=self.can("manage"))

    @expose("/new", methods=["GET", "POST"])
    def new(self):
        """Add an account."""
        return self._form(None)

    @expose("/<int:account_id>", methods=["GET", "POST"])
    def edit(self, account_id):
        """Change an account and its CSV mapping."""
        return self._form(self._account(account_id))

    @expose("/<int:account_id>/mapping", methods=["POST"])
    def mapping(self, account_id):
        """Save or remove the account's CSV column mapping."""
        account = self._account(account_id)
        if not self.can("manage"):
            abort(403)
        error = self.attempt(lambda: save_mapping(actor(), account, request.form), _("Column mapping saved."))
        if error:
            return self._render(account, error=error, form=request.form)
        return redirect(url_for(".edit", account_id=account_id))

    def _account(self, account_id):
        account = db.session.get(Account, account_id)
        if account is None:
            abort(404)
        return account

    def _form(self, account):
        if request.method == "POST":
            if not self.can("manage"):
                abort(403)
            saved = {}
            error = self.attempt(lambda: saved.setdefault("a", save_account(actor(), account, request.form)),
                                 _("Account saved."))
            if not error:
                return redirect(url_for(".edit", account_id=saved["a"].id))
            if account is not None:
                db.session.refresh(account)
            return self._render(account, error=error, form=request.form)
        return self._render(account)

    def _render(self, account, error=None, form=None):
        return self.render("finance/account_form.html", account=account, error=error, form=form or {},
                           kinds=ACCOUNT_KINDS, date_formats=DATE_FORMATS, can_manage=self.can("manage"))
