"""Merchants: the platform's sellers, with their status. Suspending a merchant
signs its staff out and keeps them out until it is active again."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from .. import access
from ..audit import record
from ..auth import sessions
from ..extensions import db
from ..models import Merchant, User
from ..paging import paginate
from ..views import PortalView
from . import merchant_service


class MerchantsView(PortalView):
    resource = "core.merchant"

    @expose("/")
    def index(self):
        q = (request.args.get("q") or "").strip()
        status = request.args.get("status") or ""
        query = access.scoped(select(Merchant), Merchant)
        if q:
            like = f"%{q.lower()}%"
            query = query.where(or_(func.lower(Merchant.code).like(like), func.lower(Merchant.name).like(like),
                                    func.lower(Merchant.legal_name).like(like)))
        if status in Merchant.STATUSES:
            query = query.where(Merchant.status == status)
        sort = request.args.get("sort", "code")
        order = {"code": Merchant.code, "name": Merchant.name, "-created": Merchant.created_at.desc(),
                 "status": Merchant.status}.get(sort, Merchant.code)
        page = paginate(query.order_by(order, Merchant.id), request.args.get("page"))
        return self.render("portal/merchants.html", page=page, q=q, status=status, sort=sort,
                           partial="portal/_merchant_rows.html")

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        access.require("core.merchant", "manage")
        if access.access().values_at("merchant", access.MANAGE) is not None:
            return self.render("errors/message.html", message=_("Only platform staff create merchants.")), 403
        form = request.form
        if request.method == "POST":
            try:
                merchant = merchant_service.create(form)
            except merchant_service.MerchantError as exc:
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(_("Merchant %(code)s created.", code=merchant.code), "success")
                return redirect(url_for(".detail", merchant_id=merchant.id))
        return self.render("portal/merchant_form.html", merchant=None, form=form)

    @expose("/<int:merchant_id>", methods=["GET", "POST"])
    def detail(self, merchant_id):
        merchant = access.get_or_404(Merchant, merchant_id, "core.merchant", "read")
        if request.method == "POST":
            access.get_or_404(Merchant, merchant_id, "core.merchant", "write")
            try:
                merchant_service.update(merchant, request.form)
            except merchant_service.MerchantError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(_("Saved."), "success")
                return redirect(url_for(".detail", merchant_id=merchant.id))
        staff = db.session.execute(select(User).where(User.merchant_id == merchant.id).order_by(User.email)).scalars()
        return self.render("portal/merchant_form.html", merchant=merchant, form=request.form or None,
                           staff=list(staff))

    @expose("/<int:merchant_id>/status", methods=["POST"])
    def status(self, merchant_id):
        merchant = access.get_or_404(Merchant, merchant_id, "core.merchant", "manage")
        new = request.form.get("status")
        if new not in Merchant.STATUSES:
            flash(_("Unknown status."), "error")
            return redirect(url_for(".detail", merchant_id=merchant.id))
        if new != merchant.status:
            merchant.status = new
            if new == "suspended":
                for user in db.session.execute(select(User).where(User.merchant_id == merchant.id)).scalars():
                    sessions.end_all(user, "merchant suspended")
            record("merchant.suspend" if new == "suspended" else "merchant.activate", target=merchant.code,
                   merchant_id=merchant.id)
            db.session.commit()
            flash(_("%(code)s is now %(status)s.", code=merchant.code, status=_(new)), "success")
        return redirect(url_for(".detail", merchant_id=merchant.id))
