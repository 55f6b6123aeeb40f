"""Reports: daily rollups of sales, products and shipments kept current from
the orders' domain events and rebuilt from scratch by SQL aggregation; the
analyses, the cockpit cards and the exports read only those rollups."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="reports",
    title=N_("Reports"),
    version="0.1.0",
    requires=("catalog", "inventory", "orders"),
    optional=("members", "logistics", "finance"),
    merchant_toggle=False,
    description=N_("Sales, product and shipping analyses over daily rollups, with period comparison and exports."),
)
