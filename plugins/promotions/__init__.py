"""Promotions: marketing rules (percentage or amount off, spend tiers, N
items, buy X get Y, flash sales, coupons) with a scope, a funder, stacking by
priority and caps, priced by one deterministic engine that explains every
rule it applied or passed over; usage and budgets are taken when an order is
placed and given back when it is cancelled."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="promotions",
    title=N_("Promotions"),
    version="0.1.0",
    requires=("catalog", "orders"),
    merchant_toggle=True,
    description=N_("Marketing rules and coupons applied to orders' prices, with stacking, caps and an explanation."),
)
