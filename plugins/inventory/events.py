"""Events the inventory publishes (``portal.events.publish``) for other plugins
to react to inside the same transaction."""
from dataclasses import dataclass


@dataclass(frozen=True)
class StockLow:
    """An operation took a SKU's sellable quantity from above its low-stock
    threshold to at or below it (published once per crossing, not while it
    stays low)."""

    merchant_id: int
    sku_id: int
    sellable: int
    threshold: int
