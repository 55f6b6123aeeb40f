"""Members: every buyer becomes a member profile (found or created from each
order's customer reference), with levels earned by growth, a points ledger
spent through the orders' pricing, segments from rules and RFM scoring for
targeted marketing. Points can be switched off per merchant by a setting
(``members.points_enabled``): the rest of the module stays on for it."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="members",
    title=N_("Members"),
    version="0.1.0",
    requires=("orders",),
    merchant_toggle=False,
    description=N_("Member profiles linked to orders, levels, points, segments and RFM scoring."),
)
