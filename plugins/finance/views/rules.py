"""Commission rules: the list, a form to add or change one, deleting one (confirmed)."""
from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from plugins.catalog.models import Category
from portal.extensions import db
from portal.models import Merchant
from portal.paging import paginate

from ..models import FEE_BEARERS, CommissionRule
from ..services.rules import delete_rule, save_rule
from .common import PER_PAGE, FinanceView, actor, int_arg


class RulesView(FinanceView):
    resource = "finance.rule"

    @expose("/")
    def index(self):
        """Rules by priority, highest first; filter by merchant."""
        merchant_id = int_arg("merchant")
        query = select(CommissionRule).order_by(CommissionRule.priority.desc(), CommissionRule.id.desc())
        if merchant_id:
            query = query.where(CommissionRule.merchant_id == merchant_id)
        page = paginate(query, request.args.get("page"), PER_PAGE)
        return self.render("finance/rules.html", page=page, merchant_id=merchant_id, merchants=_merchants(),
                           categories=_categories(), bearers=FEE_BEARERS, can_write=self.can("write"),
                           can_manage=self.can("manage"))

    @expose("/new", methods=["GET", "POST"])
    def new(self):
        """Add a rule."""
        return self._form(None)

    @expose("/<int:rule_id>", methods=["GET", "POST"])
    def edit(self, rule_id):
        """Change a rule."""
        return self._form(self._rule(rule_id))

    @expose("/<int:rule_id>/delete", methods=["POST"])
    def delete(self, rule_id):
        """Delete a rule (the page asks for confirmation first)."""
        rule = self._rule(rule_id)
        if not self.can("manage"):
            abort(403)
        self.attempt(lambda: delete_rule(actor(), rule), _("Rule deleted."))
        return redirect(url_for(".index"))

    def _rule(self, rule_id):
        rule = db.session.get(CommissionRule, rule_id)
        if rule is None:
            abort(404)
        return rule

    def _form(self, rule):
        error = None
        if request.method == "POST":
            if not self.can("write"):
                abort(403)
            saved = {}
            error = self.attempt(lambda: saved.setdefault("r", save_rule(actor(), rule, request.form)),
                                 _("Rule saved."))
            if not error:
                return redirect(url_for(".index"))
        return self.render("finance/rule_form.html", rule=rule, error=error, form=request.form,
                           merchants=_merchants(), categories=_categories(), bearers=FEE_BEARERS,
                           can_write=self.can("write"))


def _merchants():
    return db.session.execute(select(Merchant).order_by(Merchant.code)).scalars().all()


def _categories():
    return db.session.execute(select(Category).order_by(Category.id)).scalars().all()
