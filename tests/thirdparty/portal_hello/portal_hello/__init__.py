"""Hello: a plugin that lives outside the portal's source tree. It proves that a
package installed with pip appears in the portal (page, menu entry, permission,
dashboard card) with no change to the core."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="hello",
    title=N_("Hello"),
    version="1.0.0",
    merchant_toggle=True,
    description=N_("Greets the signed-in user (a third-party example plugin)."),
)
