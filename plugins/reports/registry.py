"""What the reports declare at start-up: one permission per analysis area, the
pivot and exports (with the levels the built-in roles get), and the nightly job
that rebuilds the rollups."""
from datetime import timedelta

from portal.access import FINANCE, MERCHANT_ADMIN, MERCHANT_STAFF, PLATFORM_OPERATOR, Resource
from portal.i18n import N_
from portal.jobs import Job

SALES, PRODUCTS, LOGISTICS, EXPORT = "reports.sales", "reports.products", "reports.logistics", "reports.export"
PIVOT = "reports.pivot"

RESOURCES = [
    Resource(SALES, N_("Sales analysis"),
             N_("GMV, orders, average order value and refunds by period and dimension, and the cockpit's sales cards; "
                "limited to the user's merchants."),
             defaults={PLATFORM_OPERATOR: "read", FINANCE: "read", MERCHANT_ADMIN: "read", MERCHANT_STAFF: "read"}),
    Resource(PRODUCTS, N_("Product analysis"), N_("Top sellers and low stock."),
             defaults={PLATFORM_OPERATOR: "read", MERCHANT_ADMIN: "read", MERCHANT_STAFF: "read"}),
    Resource(LOGISTICS, N_("Logistics analysis"), N_("Shipments and days to deliver by carrier and region."),
             defaults={PLATFORM_OPERATOR: "read", MERCHANT_ADMIN: "read", MERCHANT_STAFF: "read"}),
    Resource(PIVOT, N_("Pivot"), N_("Pick rows, columns, a measure and filters over the rollups; write: save views."),
             defaults={PLATFORM_OPERATOR: "write", FINANCE: "write", MERCHANT_ADMIN: "write", MERCHANT_STAFF: "read"}),
    Resource(EXPORT, N_("Report exports"), N_("Download the analyses' tables as CSV or XLSX; rebuild the rollups."),
             defaults={PLATFORM_OPERATOR: "manage", FINANCE: "read", MERCHANT_ADMIN: "read"}),
]


def _rebuild():
    from portal.extensions import db

    from .services.rebuild import rebuild
    counts = rebuild()
    db.session.commit()
    return ", ".join(f"{table}: {rows}" for table, rows in counts.items())


JOBS = [
    Job("reports.rebuild", timedelta(days=1), _rebuild,
        N_("Rebuilds every report rollup from the orders, so the figures match them even if an event was missed.")),
]
