"""The orders' pages (Flask-Admin views): parse the request, call a service,
render. Every page lives under ``/orders/``."""
from portal.i18n import N_


def views():
    """The order list and detail, and the staff order form, under "Orders" in the menu."""
    from .new_order import NewOrderView
    from .orders import OrdersView

    return [
        OrdersView(name=N_("Orders"), endpoint="orders_orders", url="/orders"),
        NewOrderView(name=N_("New order"), endpoint="orders_new", url="/orders/new"),
    ]
