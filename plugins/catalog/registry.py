"""What the catalog declares at start-up: its permissions (with the levels the
built-in roles get), its setting and its scheduled job."""
from datetime import timedelta

from portal.access import (FINANCE, MERCHANT_ADMIN, MERCHANT_STAFF, PLATFORM_OPERATOR, Resource)
from portal.i18n import N_
from portal.jobs import Job
from portal.settings import SettingSpec

RESOURCES = [
    Resource("catalog.product", N_("Products"),
             N_("Products and their SKUs, shelf status and prices; limited to the user's merchants."),
             defaults={PLATFORM_OPERATOR: "write", FINANCE: "read", MERCHANT_ADMIN: "manage",
                       MERCHANT_STAFF: "write"}),
    Resource("catalog.review", N_("Product review"),
             N_("Approve or reject merchants' products (platform staff only)."),
             defaults={PLATFORM_OPERATOR: "manage"}),
    Resource("catalog.library", N_("Catalog library"),
             N_("The shared categories, brands and attributes; only platform staff change them."),
             defaults={PLATFORM_OPERATOR: "manage", MERCHANT_ADMIN: "read", MERCHANT_STAFF: "read"}),
]

SETTINGS = [
    SettingSpec("catalog.review_required", N_("Review products before they go on sale"), "bool", False,
                N_("When on, a merchant's new or changed product waits for platform approval, "
                   "and is off the shelf until approved.")),
]


def _run_scheduled_listing():
    from .services.shelf import run_scheduled
    return run_scheduled()


JOBS = [
    Job("catalog.scheduled_listing", timedelta(minutes=1), _run_scheduled_listing,
        N_("Puts approved products on the shelf when their scheduled time comes.")),
]
