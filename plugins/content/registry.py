"""What the content plugin declares at start-up: its permissions, with the
levels the built-in roles get."""
from portal.access import MERCHANT_ADMIN, MERCHANT_STAFF, PLATFORM_OPERATOR, Resource
from portal.i18n import N_

RESOURCES = [
    Resource("content.page", N_("Content pages"),
             N_("Homepage floors and campaign pages: edit drafts, preview, see clicks; limited to the "
                "user's merchants (platform pages belong to platform staff)."),
             defaults={PLATFORM_OPERATOR: "manage", MERCHANT_ADMIN: "manage", MERCHANT_STAFF: "write"}),
    Resource("content.publish", N_("Publish content"),
             N_("Publish a page's draft to the storefront and roll back to an earlier version."),
             defaults={PLATFORM_OPERATOR: "write", MERCHANT_ADMIN: "write"}),
]
