"""Logistics analysis: shipments sent and orders received in the period, and
the average days from the last shipment to receipt, by carrier and by region."""
from flask_admin import expose

from ..registry import LOGISTICS
from ..services.figures import shipping_by
from .common import ReportView


class LogisticsView(ReportView):
    resource = LOGISTICS

    @expose("/")
    def index(self):
        f = self.filters()
        carriers = sorted(shipping_by("carrier", f["period"], merchant_id=f["merchant_id"]).items(),
                          key=lambda kv: (-kv[1][0], kv[0]))
        regions = sorted(shipping_by("region", f["period"], merchant_id=f["merchant_id"]).items(),
                         key=lambda kv: (-kv[1][0], kv[0]))
        previous = shipping_by("carrier", f["previous"], merchant_id=f["merchant_id"])
        chart = {"labels": [c or "-" for c, _v in carriers],
                 "current": [v[0] for _c, v in carriers],
                 "previous": [previous.get(c, (0, 0, None))[0] for c, _v in carriers]}
        return self.render("reports/logistics.html", **f, carriers=carriers, regions=regions, chart=chart,
                           previous_by_carrier=previous)
