"""What the finance plugin declares at start-up: its permission, its
matching settings and its scheduled check."""
from datetime import timedelta
from decimal import Decimal

from portal.access import FINANCE, MERCHANT_ADMIN, PLATFORM_OPERATOR, Resource
from portal.i18n import N_
from portal.jobs import Job
from portal.settings import SettingSpec

RESOURCES = [
    Resource("finance.reconciliation", N_("Reconciliation"),
             N_("Accounts, statement imports, matching lines to receivables and mismatch flags "
                "(platform staff only)."),
             defaults={PLATFORM_OPERATOR: "read", FINANCE: "manage"}),
    Resource("finance.settlement", N_("Settlements"),
             N_("Merchant settlements and their statements; merchants read their own. Manage: run settlements."),
             defaults={PLATFORM_OPERATOR: "read", FINANCE: "manage", MERCHANT_ADMIN: "read"}),
    Resource("finance.payout", N_("Payout approval"),
             N_("Approve payouts above the approval amount (a second person, not the one who ran the settlement)."),
             defaults={FINANCE: "manage"}),
    Resource("finance.rule", N_("Commission rules"),
             N_("Commission by merchant and category, with priority and validity dates."),
             defaults={PLATFORM_OPERATOR: "read", FINANCE: "manage"}),
]

SETTINGS = [
    SettingSpec("finance.match_days", N_("Days a statement line may differ from its payment"), "int", 3,
                N_("A line is matched automatically only when booked within this many days of the payment."),
                minimum=0, maximum=60),
    SettingSpec("finance.receipt_days", N_("Days before a payment with no statement line is flagged"), "int", 3,
                N_("A paid order whose money has not appeared on any statement after this many days is flagged."),
                minimum=1, maximum=90),
    SettingSpec("finance.settlement_period", N_("Settlement period"), "choice", "monthly",
                N_("How often a merchant is settled."), per_merchant=True,
                choices=(("weekly", N_("weekly")), ("monthly", N_("monthly")))),
    SettingSpec("finance.payout_approval_above", N_("Payouts above this amount need a second approval"),
                "decimal", Decimal("10000"), N_("A settlement paying out more than this waits until a second person "
                                       "with payout approval approves it."), minimum=Decimal(0)),
]


def _check_mismatches():
    from portal.extensions import db

    from .services import check_unreceived
    raised, resolved = check_unreceived()
    db.session.commit()
    return f"{raised} raised, {resolved} resolved"


def _run_settlements():
    from portal.extensions import db

    from .services.settlement import run_settlements
    created = run_settlements(None)
    db.session.commit()
    return f"{len(created)} settlements"


def _issue_statements():
    from portal.extensions import db

    from .documents import issue_waiting
    issued = issue_waiting()
    db.session.commit()
    return f"{issued} statements issued"


JOBS = [
    Job("finance.issue_statements", timedelta(minutes=10), _issue_statements,
        N_("Renders and stores the settlement statements not issued yet (long ones are never rendered in a "
           "request).")),
    Job("finance.run_settlements", timedelta(hours=6), _run_settlements,
        N_("Settles every merchant's last ended period (weekly or monthly); a period already settled is skipped.")),
    Job("finance.check_mismatches", timedelta(hours=1), _check_mismatches,
        N_("Flags paid orders whose money has not appeared on a statement, and resolves those that since have.")),
]
