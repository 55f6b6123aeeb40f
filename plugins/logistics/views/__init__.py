"""The logistics pages (Flask-Admin views): parse the request, call a
service, render. Every page lives under ``/logistics/``."""
from portal.i18n import N_


def views():
    """Templates, calculator, shipments, tracking import and carriers, under "Logistics" in the menu."""
    from .calculator import CalculatorView
    from .carriers import CarriersView
    from .shipments import ShipmentsView
    from .templates import TemplatesView
    from .tracking_import import TrackingImportView

    return [
        TemplatesView(name=N_("Freight templates"), endpoint="logistics_templates", url="/logistics/templates"),
        CalculatorView(name=N_("Freight calculator"), endpoint="logistics_calculator", url="/logistics/calculator"),
        ShipmentsView(name=N_("Shipments"), endpoint="logistics_shipments", url="/logistics/shipments"),
        TrackingImportView(name=N_("Import tracking"), endpoint="logistics_tracking_import",
                           url="/logistics/tracking-import"),
        CarriersView(name=N_("Carriers"), endpoint="logistics_carriers", url="/logistics/carriers"),
    ]
