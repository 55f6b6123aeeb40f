"""The pivot page: rows, columns, measure and filters over the rollups; each
cell links to its drill-down; views can be saved, reopened and removed."""
from urllib.parse import urlencode

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from portal import access
from portal.extensions import db

from ..registry import PIVOT
from ..services import saved
from ..services.pivot import SOURCES, PivotError, build, drill, parse_filters
from .common import ReportView, dimension_labels


def measure_labels():
    return {"placed_amount": _("GMV"), "placed_orders": _("Orders"), "paid_amount": _("Paid"),
            "cancelled_orders": _("Cancelled orders"), "refund_amount": _("Refunds"), "sales": _("Sales"),
            "units": _("Units"), "cancelled_units": _("Cancelled units"), "cancelled_sales": _("Cancelled sales")}


def _choices():
    args = request.args
    source = args.get("source") or "sales"
    dims = SOURCES.get(source, SOURCES["sales"])[1]
    return (source, args.get("rows") or "merchant", args.get("cols") or ("month" if "month" in dims else dims[1]),
            args.get("measure") or SOURCES.get(source, SOURCES["sales"])[2][0])


class PivotView(ReportView):
    resource = PIVOT

    @expose("/")
    def index(self):
        f = self.filters()
        source, rows, cols, measure = _choices()
        pivot, problem, filters = None, None, {}
        try:
            filters = parse_filters(source, request.args) if source in SOURCES else {}
            pivot = build(source, rows, cols, measure, f["period"], f["currency"], filters, f["merchant_id"])
        except PivotError as exc:
            problem = str(exc)
        args = request.args.to_dict()

        def cell_url(r, c):
            return url_for(".index", **drill(source, rows, cols, r, c, {**args, "source": source, "rows": rows,
                                                                         "cols": cols, "measure": measure}))
        labels = {**dimension_labels(), "year": _("Year"), "month": _("Month"), "day": _("Day")}
        return self.render("reports/pivot.html", **f, pivot=pivot, problem=problem, source=source, rows=rows,
                           cols=cols, measure=measure, sources=SOURCES, filters=filters, cell_url=cell_url,
                           labels=labels, measure_labels=measure_labels(), saved_views=saved.views_of(current_user),
                           can_save=access.has_level(PIVOT, "write"), query=urlencode(sorted(args.items())))

    @expose("/save", methods=["POST"])
    def save(self):
        access.require(PIVOT, "write")
        query = request.form.get("query", "")
        try:
            view = saved.save(current_user, request.form.get("name"), query)
            db.session.commit()
            flash(_("View %(name)s saved.", name=view.name), "success")
        except saved.SavedViewError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        return redirect(url_for(".index") + ("?" + query if query else ""))

    @expose("/views/<int:view_id>")
    def open_view(self, view_id):
        view = saved.find(current_user, view_id)
        if view is None:
            abort(404)
        return redirect(url_for(".index") + "?" + view.query)

    @expose("/views/<int:view_id>/remove", methods=["POST"])
    def remove(self, view_id):
        access.require(PIVOT, "write")
        view = saved.find(current_user, view_id)
        if view is None:
            abort(404)
        saved.remove(current_user, view)
        db.session.commit()
        flash(_("View %(name)s removed.", name=view.name), "success")
        return redirect(url_for(".index"))
