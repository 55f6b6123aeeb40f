"""Finance: statements from banks and payment providers imported into the
platform's accounts, receivables kept from the orders' payments and refunds,
automatic and manual matching of the two, and mismatch flags raised when they
disagree."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="finance",
    title=N_("Finance"),
    version="0.1.0",
    requires=("orders", "catalog"),
    merchant_toggle=False,
    description=N_("Bank and provider statement import, receivables, reconciliation and mismatch flags."),
)
