"""The reports' pages (Flask-Admin views): parse the period and filters, read
the rollups through the services, render. Every page lives under ``/reports/``."""
from portal.i18n import N_


def views():
    """The analyses, under "Reports" in the menu."""
    from .cockpit import CockpitView
    from .logistics import LogisticsView
    from .pivot import PivotView
    from .products import ProductsView
    from .sales import SalesView

    return [
        SalesView(name=N_("Sales analysis"), endpoint="reports_sales", url="/reports/sales"),
        ProductsView(name=N_("Product analysis"), endpoint="reports_products", url="/reports/products"),
        LogisticsView(name=N_("Logistics analysis"), endpoint="reports_logistics", url="/reports/logistics"),
        PivotView(name=N_("Pivot"), endpoint="reports_pivot", url="/reports/pivot"),
        CockpitView(name=N_("Cockpit"), endpoint="reports_cockpit", url="/reports/cockpit"),
    ]
