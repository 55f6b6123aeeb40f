"""The orders plugin's hook implementations: each one delegates."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_models():
    """The orders' tables."""
    from .models import MODELS
    return MODELS


@hookimpl
def portal_register_permissions():
    """orders.order, orders.refund, orders.invoice with role defaults."""
    from .registry import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_settings():
    """The timers: unpaid cancel minutes, auto-complete days, after-sales days."""
    from .registry import SETTINGS
    return SETTINGS


@hookimpl
def portal_register_jobs():
    """Cancel unpaid orders, complete shipped ones, close ended after-sales windows."""
    from .registry import JOBS
    return JOBS


@hookimpl
def inventory_live_orders(order_refs):
    """The orders among ``order_refs`` that still need their stock reserved."""
    from .services.stock import live_orders
    return live_orders(order_refs)


@hookimpl
def inventory_lines_to_lock(merchant_ids):
    """The order lines that must hold stock now, with the units still to ship."""
    from .services.stock import lines_to_lock
    return lines_to_lock(merchant_ids)


@hookimpl
def portal_register_documents():
    """The invoice, the credit note and the packing slip."""
    from .documents import KINDS
    return KINDS


@hookimpl
def portal_register_views():
    """The order list and detail, and the staff order form."""
    from .views import views
    return views()


@hookimpl
def portal_demo_data(merchants, echo):
    """Orders over the last 120 days, in every state."""
    from .demo import load_demo
    load_demo(merchants, echo)


@hookimpl
def portal_register_blueprints():
    """The JSON API for sales channels and the payment notification endpoint."""
    from .api import bp
    return [bp]


@hookimpl(optionalhook=True)
def content_sales_ranking(category_ids, merchant_id, since, limit):
    """Units sold per product for the content plugin's top-seller floors
    (optional: the content plugin may not be installed)."""
    from .services.sales import top_products
    return top_products(category_ids, merchant_id, since, limit)
