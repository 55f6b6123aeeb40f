"""Rules: the list (search, filters, sorting, paging), the form (create,
change, schedule), copy, pause / resume / end, the report and coupon codes.
Each action calls one service, commits on success and rolls back on a
business error, shown next to the field or on top."""
from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from portal import access
from portal.extensions import db
from portal.models import Merchant, utcnow
from portal.paging import paginate
from portal.views import PortalView

from ..models import (ACTIVE, ENDED, FUNDER_LABELS, KIND_LABELS, KINDS, PAUSED, SCOPE_LABELS, SCOPES, Rule)
from ..services import PromotionsError, change_status, copy_rule, create_rule, state_of, update_rule
from ..services.coupons import COUPON_RESOURCE, batches, export_batch, generate_batch
from ..services.errors import InvalidRule
from ..services.reports import recent_orders, rule_report
from .forms import form_data, values_of

RESOURCE = "promotions.rule"
PER_PAGE = 50
SORTS = {"priority": Rule.priority, "name": Rule.name, "starts": Rule.starts_at}
STATES = ("running", "scheduled", "paused", "expired", "ended")


def _actor():
    return current_user._get_current_object()


def _state_filter(query, state):
    now = utcnow()
    if state == "running":
        return query.where(Rule.status == ACTIVE, Rule.starts_at <= now,
                           or_(Rule.ends_at.is_(None), Rule.ends_at > now))
    if state == "scheduled":
        return query.where(Rule.status == ACTIVE, Rule.starts_at > now)
    if state == "expired":
        return query.where(Rule.status == ACTIVE, Rule.ends_at <= now)
    if state in (PAUSED, ENDED):
        return query.where(Rule.status == state)
    return query


class RulesView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """The user's rules: search by name, filter by state and type, sorted."""
        args = request.args
        q, state, kind = (args.get("q") or "").strip()[:64], args.get("state", ""), args.get("kind", "")
        sort = args.get("sort") if (args.get("sort") or "").lstrip("-") in SORTS else "-priority"
        column = SORTS[sort.lstrip("-")]
        query = access.scoped(select(Rule), Rule, "read")
        if q:
            query = query.where(Rule.name.ilike(f"%{q}%"))
        if kind in KINDS:
            query = query.where(Rule.kind == kind)
        query = _state_filter(query, state if state in STATES else "")
        order = (column.desc(), Rule.id.desc()) if sort.startswith("-") else (column, Rule.id)
        page = paginate(query.order_by(*order), args.get("page"), PER_PAGE)
        return self.render("promotions/rules.html", page=page, q=q, state=state, kind=kind, sort=sort,
                           states=STATES, kinds=KIND_LABELS, state_of=state_of, can_write=self.can("write"))

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        """A new rule; platform staff choose its merchant, or none for a platform rule."""
        access.require(RESOURCE, "write")
        values, errors = {"kind": request.args.get("kind", "percent"), "scope": "store", "funder": "merchant",
                          "priority": "0", "benefit": "amount"}, {}
        if request.method == "POST":
            values = dict(request.form)
            try:
                rule = create_rule(_actor(), form_data(request.form))
                db.session.commit()
            except (PromotionsError, access.AccessDenied) as exc:
                db.session.rollback()
                errors = _errors(exc)
            else:
                flash(_("Promotion %(name)s created.", name=rule.name), "success")
                return redirect(url_for(".detail", rule_id=rule.id))
        return self._form(None, values, errors)

    @expose("/<int:rule_id>", methods=["GET", "POST"])
    def detail(self, rule_id):
        """One rule: its form (saved with write access), status actions, codes."""
        rule = access.get_or_404(Rule, rule_id, RESOURCE, "read")
        values, errors = values_of(rule), {}
        if request.method == "POST":
            rule = access.get_or_404(Rule, rule_id, RESOURCE, "write")
            values = dict(request.form)
            try:
                update_rule(_actor(), rule, form_data(request.form))
                db.session.commit()
            except (PromotionsError, access.AccessDenied) as exc:
                db.session.rollback()
                errors = _errors(exc)
                rule = db.session.get(Rule, rule_id)
            else:
                flash(_("Saved."), "success")
                return redirect(url_for(".detail", rule_id=rule_id))
        return self._form(rule, values, errors)

    @expose("/<int:rule_id>/copy", methods=["POST"])
    def copy(self, rule_id):
        """A paused copy to adjust and start."""
        rule = access.get_or_404(Rule, rule_id, RESOURCE, "write")
        try:
            copy = copy_rule(_actor(), rule)
            db.session.commit()
        except PromotionsError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for(".detail", rule_id=rule_id))
        flash(_("Copied: %(name)s is paused until you resume it.", name=copy.name), "success")
        return redirect(url_for(".detail", rule_id=copy.id))

    @expose("/<int:rule_id>/<any(pause, resume, end):step>", methods=["POST"])
    def status(self, rule_id, step):
        """Pause, resume or end (confirmed in the page)."""
        rule = access.get_or_404(Rule, rule_id, RESOURCE, "write")
        try:
            change_status(_actor(), rule, step)
            db.session.commit()
        except PromotionsError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash({"pause": _("Paused."), "resume": _("Resumed."), "end": _("Ended.")}[step], "success")
        return redirect(url_for(".detail", rule_id=rule_id))

    @expose("/<int:rule_id>/report")
    def report(self, rule_id):
        """Orders the rule discounted, what it gave by funder, their revenue."""
        rule = access.get_or_404(Rule, rule_id, RESOURCE, "read")
        return self.render("promotions/report.html", rule=rule, figures=rule_report(rule),
                           orders=recent_orders(rule), state=state_of(rule))

    @expose("/<int:rule_id>/codes", methods=["POST"])
    def codes(self, rule_id):
        """Generate a batch of one-use codes for a coupon rule."""
        rule = access.get_or_404(Rule, rule_id, COUPON_RESOURCE, "write")
        try:
            batch = generate_batch(_actor(), rule, request.form.get("count"), request.form.get("prefix"))
            db.session.commit()
        except (PromotionsError, access.AccessDenied) as exc:
            db.session.rollback()
            flash(str(getattr(exc, "problem", exc)), "danger")
        else:
            flash(_("Batch %(batch)s generated.", batch=batch), "success")
        return redirect(url_for(".detail", rule_id=rule_id) + "#codes")

    @expose("/<int:rule_id>/codes/<batch>.csv")
    def export(self, rule_id, batch):
        """A batch's codes as CSV."""
        rule = access.get_or_404(Rule, rule_id, COUPON_RESOURCE, "manage")
        try:
            text = export_batch(_actor(), rule, batch)
        except InvalidRule:
            abort(404)
        db.session.commit()  # the export's audit row
        return Response(text, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="coupons-{batch}.csv"'})

    def _form(self, rule, values, errors):
        merchants = []
        if current_user.merchant_id is None:
            merchants = db.session.execute(access.scoped(select(Merchant), Merchant, "write")
                                           .order_by(Merchant.code)).scalars().all()
        can_write = access.record_level(RESOURCE, rule) >= access.WRITE if rule else self.can("write")
        return self.render("promotions/rule_form.html", rule=rule, values=values, errors=errors, kinds=KIND_LABELS,
                           scopes=SCOPE_LABELS, funders=FUNDER_LABELS, merchants=merchants, can_write=can_write,
                           state=state_of(rule) if rule else None, batches=batches(rule) if rule else [],
                           can_codes=access.has_level(COUPON_RESOURCE, "write"),
                           can_export=access.has_level(COUPON_RESOURCE, "manage"), scope_names=SCOPES)


def _errors(exc):
    if isinstance(exc, InvalidRule):
        return {exc.field: exc.problem}
    return {"form": str(exc)}
