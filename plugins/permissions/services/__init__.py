"""Managing users, roles and grants, under the rule that nobody grants more
than they hold. Plain Python: every function takes the acting user, never
touches ``request``, and leaves the commit to the caller."""
from portal.access import MERCHANT_ADMIN, PLATFORM_OPERATOR, Resource
from portal.i18n import N_

from .rules import PermissionsError, Refused

RESOURCES = [
    Resource("permissions.user", N_("Users"), N_("Staff accounts: create, deactivate, reset passwords, roles."),
             defaults={MERCHANT_ADMIN: "manage", PLATFORM_OPERATOR: "read"}),
    Resource("permissions.role", N_("Roles"), N_("Roles and their grants."),
             defaults={MERCHANT_ADMIN: "manage", PLATFORM_OPERATOR: "read"}),
    Resource("permissions.audit", N_("Audit log"), N_("Who did what, when; export as CSV."),
             defaults={MERCHANT_ADMIN: "read", PLATFORM_OPERATOR: "read"}),
]

__all__ = ["RESOURCES", "PermissionsError", "Refused"]
