"""What the promotions declare at start-up: permissions with the levels the
built-in roles get. Rules are scoped by the core's merchant data scope
(``Rule.merchant_id``; None is a platform rule only platform staff reach)."""
from portal.access import FINANCE, MERCHANT_ADMIN, MERCHANT_STAFF, PLATFORM_OPERATOR, Resource
from portal.i18n import N_

RESOURCES = [
    Resource("promotions.rule", N_("Promotion rules"),
             N_("Create, schedule, pause and end promotion rules, simulate carts and read their reports; "
                "limited to the user's merchants."),
             defaults={PLATFORM_OPERATOR: "manage", FINANCE: "read", MERCHANT_ADMIN: "manage",
                       MERCHANT_STAFF: "read"}),
    Resource("promotions.coupon", N_("Coupon codes"),
             N_("Generate batches of unique coupon codes and export them."),
             defaults={PLATFORM_OPERATOR: "manage", FINANCE: "read", MERCHANT_ADMIN: "manage",
                       MERCHANT_STAFF: "read"}),
]
