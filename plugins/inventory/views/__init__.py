"""The inventory's pages (Flask-Admin views): parse the request, call a
service, render. Every page lives under ``/inventory/``."""
from portal.i18n import N_


def views():
    """Warehouses and stock, under "Inventory" in the menu."""
    from .anomalies import AnomaliesView
    from .imports import CountImportView
    from .stock import StockView
    from .warehouses import WarehousesView

    return [
        StockView(name=N_("Stock"), endpoint="inventory_stock", url="/inventory/stock"),
        WarehousesView(name=N_("Warehouses"), endpoint="inventory_warehouses", url="/inventory/warehouses"),
        AnomaliesView(name=N_("Exceptions"), endpoint="inventory_anomalies", url="/inventory/anomalies"),
        CountImportView(name=N_("Import counts"), endpoint="inventory_import", url="/inventory/import"),
    ]
