"""Logistics: regions (ISO 3166 countries and China's provinces), freight
templates per store and per category, freight priced into orders through
``orders_price_draft`` with its breakdown kept on the order, carriers, and the
tracking of shipments (staff entry, CSV import, signed webhook) up to
delivery, which completes the order."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="logistics",
    title=N_("Logistics"),
    version="0.1.0",
    requires=("catalog", "orders"),
    merchant_toggle=False,
    description=N_("Freight templates and calculation, carriers, shipment tracking."),
)
