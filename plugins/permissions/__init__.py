"""Users, roles, grants, data scopes and the audit log (module 10)."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="permissions",
    title=N_("Permissions"),
    version="1.0.0",
    description=N_("Users, roles with their grants, data scopes, and the audit log."),
)
