"""Events the catalog publishes (``portal.events.publish``) for other plugins
to react to inside the same transaction."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ProductListed:
    """A product went on the shelf (by hand, in bulk or at its scheduled time)."""

    product_id: int
    merchant_id: int
    scheduled: bool = False


@dataclass(frozen=True)
class ProductDelisted:
    """A product left the shelf; ``reason`` is ``manual`` or ``review`` (a change
    sent it back to review)."""

    product_id: int
    merchant_id: int
    reason: str = "manual"
