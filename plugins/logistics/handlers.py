"""The logistics plugin's reactions to the orders' events."""
from plugins.orders.events import OrderPlaced, ShipmentShipped


def on_event(event):
    """Placed: keep the freight breakdown. Shipped: check the tracking number, start tracking."""
    if isinstance(event, OrderPlaced):
        from .services.charging import record_breakdown
        record_breakdown(event.order_id)
    elif isinstance(event, ShipmentShipped):
        from .services.tracking import on_shipment_shipped
        on_shipment_shipped(event)
