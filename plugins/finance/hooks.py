"""The finance plugin's hook implementations: each one delegates."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_models():
    """The finance tables."""
    from .models import MODELS
    return MODELS


@hookimpl
def portal_register_permissions():
    """finance.reconciliation with role defaults."""
    from .registry import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_settings():
    """The matching window and the days before a missing receipt is flagged."""
    from .registry import SETTINGS
    return SETTINGS


@hookimpl
def portal_register_jobs():
    """The scheduled mismatch check."""
    from .registry import JOBS
    return JOBS


@hookimpl
def portal_register_views():
    """Accounts, statements, reconciliation, flags, settlements and commission rules."""
    from .views import views
    return views()


@hookimpl
def portal_register_documents():
    """The settlement statement."""
    from .documents import KINDS
    return KINDS


@hookimpl
def portal_on_event(event):
    """Order payments and refunds become receivables."""
    from plugins.orders.events import OrderCancelled, OrderPaid, RefundApproved
    if isinstance(event, (OrderPaid, OrderCancelled, RefundApproved)):
        from .services import on_order_event
        on_order_event(event)


@hookimpl
def portal_dashboard_widgets(user):
    """The open mismatch flags, for finance staff."""
    from .widgets import dashboard_widgets
    return dashboard_widgets(user)


@hookimpl
def portal_demo_data(merchants, echo):
    """Two bank accounts with imported statements and a few deliberate mismatches."""
    from .demo import load_demo
    load_demo(merchants, echo)
