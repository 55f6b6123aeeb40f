"""The orders' pages (Flask-Admin views): parse the request, call a service,
render. Every page lives under ``/orders/``."""
from portal.i18n import N_


def views():
    """The order list and detail, and the staff order form, under "Orders" in the menu."""
    from .new_order import NewOrderView
    from .orders import OrdersView
    from .printing import PrintView
    from .ship_import import ShipImportView

    return [
        OrdersView(name=N_("Orders"), endpoint="orders_orders", url="/orders"),
        NewOrderView(name=N_("New order"), endpoint="orders_new", url="/orders/new"),
        ShipImportView(name=N_("Batch ship"), endpoint="orders_ship_import", url="/orders/ship-import"),
        PrintView(name=N_("Print"), endpoint="orders_print", url="/orders/print"),
    ]
