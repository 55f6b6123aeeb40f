"""What every finance service is built from: the permission it needs, the
audit row, the errors a user can cause."""
from flask_babel import gettext as _

from portal import access
from portal.audit import record

RECONCILIATION = "finance.reconciliation"


class FinanceError(Exception):
    """A business refusal; the message says what is wrong and what to do."""


class NotFound(FinanceError):
    """A record that does not exist for the acting user."""


def guard(actor, level, resource=RECONCILIATION):
    """The acting user's functional level; ``None`` is the system (events, jobs)."""
    if actor is not None:
        access.require(resource, level, actor)
        if actor.merchant_id is not None:
            # statements and accounts are the platform's: merchant staff never reconcile
            raise access.AccessDenied(_("Reconciliation is done by the platform's finance staff."))


def audit(action, actor, target, merchant_id=None, **summary):
    """The audit row of a finance operation (``finance.<action>``)."""
    record(f"finance.{action}", target=str(target), summary=summary, plugin="finance", merchant_id=merchant_id,
           actor=actor)
