"""Users, roles, grants, data scopes and the audit log (module 10)."""
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="permissions",
    title="Permissions",
    version="1.0.0",
    description="Users, roles with their grants, data scopes, and the audit log.",
)
