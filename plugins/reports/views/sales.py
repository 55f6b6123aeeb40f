"""Sales analysis: GMV, orders, average order value, paid, cancellations and
refunds of a period beside the previous one, the daily GMV chart, and the
table by merchant, region, channel, category, brand or product (a merchant
row drills down into that merchant's categories). Exports as CSV, XLSX or PDF (its chart drawn as SVG)."""
from flask import abort, request
from flask_babel import gettext as _
from flask_admin import expose

from portal import access

from ..registry import EXPORT, SALES
from ..services.exports import export_response, pdf_response
from ..services.figures import SALES_DIMENSIONS, change, daily_gmv, sales_totals
from ..services.svg import line_chart
from ..services.tables import columns_for, sales_table
from .common import ReportView

PER_PAGE = 50


def _dimension():
    dimension = request.args.get("dimension") or "merchant"
    if dimension not in SALES_DIMENSIONS:
        abort(404)
    return dimension


def chart_data(period, previous, currency, merchant_id):
    """Labels and the two GMV series (this period, the one before) for the chart."""
    current = daily_gmv(period, currency, merchant_id=merchant_id)
    before = daily_gmv(previous, currency, merchant_id=merchant_id)
    return {"labels": [d.isoformat() for d, _v in current], "current": [float(v) for _d, v in current],
            "previous": [float(v) for _d, v in before][:len(current)]}


class SalesView(ReportView):
    resource = SALES

    @expose("/")
    def index(self):
        """The page (or, for HTMX, the table alone)."""
        f = self.filters()
        dimension = _dimension()
        totals = sales_totals(f["period"], f["currency"], merchant_id=f["merchant_id"])
        before = sales_totals(f["previous"], f["currency"], merchant_id=f["merchant_id"])
        rows = sales_table(dimension, f["period"], f["currency"], merchant_id=f["merchant_id"])
        try:
            page = max(1, int(request.args.get("page") or 1))
        except ValueError:
            page = 1
        from portal.paging import Page
        shown = Page(rows[(page - 1) * PER_PAGE:page * PER_PAGE], page, PER_PAGE, len(rows))
        return self.render("reports/sales.html", partial="reports/_sales_table.html", **f, dimension=dimension,
                           dimensions=list(SALES_DIMENSIONS), totals=totals, before=before, change=change,
                           rows=shown, columns=columns_for(dimension),
                           chart=chart_data(f["period"], f["previous"], f["currency"], f["merchant_id"]),
                           can_export=access.has_level(EXPORT, "read"))

    @expose("/export.<fmt>")
    def export(self, fmt):
        """The table of the page's filters as CSV, XLSX or PDF (``reports.export``)."""
        access.require(EXPORT, "read")
        if fmt not in ("csv", "xlsx", "pdf"):
            abort(404)
        f = self.filters()
        dimension = _dimension()
        rows = sales_table(dimension, f["period"], f["currency"], merchant_id=f["merchant_id"])
        if fmt == "pdf":
            return self._pdf(f, dimension, rows)
        return export_response(fmt, f"sales-{dimension}-{f['period'].start}-{f['period'].end}", dimension,
                               columns_for(dimension), rows, f)

    def _pdf(self, f, dimension, rows):
        """The key figures, the GMV chart as SVG and the table, printed."""
        chart = chart_data(f["period"], f["previous"], f["currency"], f["merchant_id"])
        svg = line_chart(chart["labels"], chart["current"], chart["previous"], _("GMV per day"),
                         _("This period"), _("Previous period"))
        totals = sales_totals(f["period"], f["currency"], merchant_id=f["merchant_id"])
        return pdf_response(f"sales-{dimension}-{f['period'].start}-{f['period'].end}", "reports/sales_pdf.html",
                            f, dimension=dimension, rows=rows, columns=columns_for(dimension), chart=svg,
                            totals=totals)
