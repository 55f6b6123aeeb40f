"""Inventory: warehouses, stock per SKU and warehouse by state (on hand,
locked, damaged, quality hold), an append-only ledger, reservations (locks)
for order lines, allocation of order lines to warehouses, and the sellable
quantity per SKU."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="inventory",
    title=N_("Inventory"),
    version="0.1.0",
    requires=("catalog",),
    description=N_("Warehouses, stock by state, stock ledger, order reservations and allocation."),
)
