"""The orders' events the promotions react to."""
from plugins.orders.events import OrderCancelled, OrderPlaced

from .services.usage import record_order, release_order


def on_event(event):
    """Take usage when an order is placed, give it back when it is cancelled."""
    if isinstance(event, OrderPlaced):
        record_order(event)
    elif isinstance(event, OrderCancelled):
        release_order(event)
