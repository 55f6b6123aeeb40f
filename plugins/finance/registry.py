"""What the finance plugin declares at start-up: its permission, its
matching settings and its scheduled check."""
from datetime import timedelta

from portal.access import FINANCE, PLATFORM_OPERATOR, Resource
from portal.i18n import N_
from portal.jobs import Job
from portal.settings import SettingSpec

RESOURCES = [
    Resource("finance.reconciliation", N_("Reconciliation"),
             N_("Accounts, statement imports, matching lines to receivables and mismatch flags "
                "(platform staff only)."),
             defaults={PLATFORM_OPERATOR: "read", FINANCE: "manage"}),
]

SETTINGS = [
    SettingSpec("finance.match_days", N_("Days a statement line may differ from its payment"), "int", 3,
                N_("A line is matched automatically only when booked within this many days of the payment."),
                minimum=0, maximum=60),
    SettingSpec("finance.receipt_days", N_("Days before a payment with no statement line is flagged"), "int", 3,
                N_("A paid order whose money has not appeared on any statement after this many days is flagged."),
                minimum=1, maximum=90),
]


def _check_mismatches():
    from portal.extensions import db

    from .services import check_unreceived
    raised, resolved = check_unreceived()
    db.session.commit()
    return f"{raised} raised, {resolved} resolved"


JOBS = [
    Job("finance.check_mismatches", timedelta(hours=1), _check_mismatches,
        N_("Flags paid orders whose money has not appeared on a statement, and resolves those that since have.")),
]
