"""Product analysis: the period's top sellers (units net of cancellations,
beside the previous period) and the SKUs at or below their low-stock line."""
from flask_admin import expose
from flask_login import current_user

from ..registry import PRODUCTS
from ..services.figures import change, top_products
from ..services.labels import labels
from ..services.stock import low_stock_rows
from .common import ReportView

SHOWN = 20


class ProductsView(ReportView):
    resource = PRODUCTS

    @expose("/")
    def index(self):
        f = self.filters()
        top = top_products(f["period"], f["currency"], SHOWN, merchant_id=f["merchant_id"])
        before = {pid: units for pid, units, _sales in top_products(
            f["previous"], f["currency"], 10 * SHOWN, merchant_id=f["merchant_id"])}
        names = labels("product", [pid for pid, _u, _s in top])
        rows = [{"label": names.get(pid, pid), "units": int(units or 0), "sales": sales,
                 "previous": int(before.get(pid) or 0), "change": change(units, before.get(pid))}
                for pid, units, sales in top]
        chart = {"labels": [r["label"] for r in rows[:10]], "current": [r["units"] for r in rows[:10]]}
        return self.render("reports/products.html", **f, rows=rows, chart=chart,
                           low=low_stock_rows(current_user, f["merchant_id"]))
