"""Managing users, roles and grants, under the rule that nobody grants more
than they hold."""
from portal.access import Resource, MERCHANT_ADMIN, PLATFORM_OPERATOR

RESOURCES = [
    Resource("permissions.user", "Users", "Staff accounts: create, deactivate, reset passwords, roles.",
             defaults={MERCHANT_ADMIN: "manage", PLATFORM_OPERATOR: "read"}),
    Resource("permissions.role", "Roles", "Roles and their grants.",
             defaults={MERCHANT_ADMIN: "manage", PLATFORM_OPERATOR: "read"}),
    Resource("permissions.audit", "Audit log", "Who did what, when; export as CSV.",
             defaults={MERCHANT_ADMIN: "read", PLATFORM_OPERATOR: "read"}),
]
