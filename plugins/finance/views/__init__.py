"""The finance pages (Flask-Admin views) under ``/finance/``: parse the
request, call a service, render."""
from portal.i18n import N_


def views():
    """Accounts, statements, the reconciliation workbench and the flags, under "Finance"."""
    from .accounts import AccountsView
    from .flags import FlagsView
    from .reconcile import ReconcileView
    from .rules import RulesView
    from .settlements import SettlementsView
    from .statements import StatementsView

    return [
        ReconcileView(name=N_("Reconciliation"), endpoint="finance_reconcile", url="/finance/reconcile"),
        StatementsView(name=N_("Statements"), endpoint="finance_statements", url="/finance/statements"),
        FlagsView(name=N_("Mismatches"), endpoint="finance_flags", url="/finance/flags"),
        SettlementsView(name=N_("Settlements"), endpoint="finance_settlements", url="/finance/settlements"),
        RulesView(name=N_("Commission rules"), endpoint="finance_rules", url="/finance/rules"),
        AccountsView(name=N_("Accounts"), endpoint="finance_accounts", url="/finance/accounts"),
    ]
