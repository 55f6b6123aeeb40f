"""Reactions to other plugins' events."""
from plugins.catalog.events import ProductDelisted, ProductListed

from .services import storefront_changed


def on_event(event):
    """Cached storefront answers list only products on the shelf: drop them when that changes."""
    if isinstance(event, (ProductListed, ProductDelisted)):
        storefront_changed()
