"""Orders: the customer's checkout split into one order per merchant, priced
through an extension point (``orders_price_draft``), stock reserved per
warehouse through the inventory, a guarded lifecycle (payment, shipment,
receipt, cancellation, after-sales, closing) with history, audit and domain
events, payments recorded idempotently, and timers that cancel, complete and
close orders."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="orders",
    title=N_("Orders"),
    version="0.1.0",
    requires=("catalog", "inventory"),
    merchant_toggle=False,
    description=N_("Checkouts split per merchant and warehouse, pricing, payments, lifecycle and timers."),
)
