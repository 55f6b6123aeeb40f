"""The inventory's business errors: each message says what failed and what to
do; views show it, and the operation that raised it wrote nothing."""
from flask_babel import gettext as _


class InventoryError(Exception):
    """Base of the inventory's business errors."""


class InvalidQuantity(InventoryError):
    """A quantity that is not a whole number above zero (or, for a count, at least zero)."""

    def __init__(self, field, value):
        self.field, self.value = field, value
        super().__init__(_("%(field)s: %(value)r is not a whole number of units above zero.",
                           field=field, value=value))


class UnknownSku(InventoryError):
    """The SKU does not exist or lies outside the user's merchant."""

    def __init__(self, sku_id):
        self.sku_id = sku_id
        super().__init__(_("SKU %(sku)s does not exist.", sku=sku_id))


class UnknownWarehouse(InventoryError):
    """The warehouse does not exist, is inactive, or cannot hold this SKU's goods."""

    def __init__(self, warehouse_id, why=""):
        self.warehouse_id = warehouse_id
        super().__init__(_("Warehouse %(warehouse)s cannot be used%(why)s.", warehouse=warehouse_id,
                           why=f": {why}" if why else ""))


class DuplicateWarehouse(InventoryError):
    """A warehouse code that is taken."""

    def __init__(self, code):
        self.code = code
        super().__init__(_("Warehouse code %(code)s is taken; choose another.", code=code))


class InvalidRegion(InventoryError):
    """A region code that is not ``CC`` or ``CC-XXX``."""

    def __init__(self, region):
        self.region = region
        super().__init__(_("Region %(region)r is not an ISO country (CN) or subdivision (CN-GD) code.",
                           region=region))


class InsufficientStock(InventoryError):
    """Fewer units are free than the operation needs."""

    def __init__(self, sku_id, requested, available, warehouse_id=None, state="available"):
        self.sku_id, self.requested, self.available = sku_id, requested, available
        self.warehouse_id, self.state = warehouse_id, state
        where = _(" in warehouse %(warehouse)s", warehouse=warehouse_id) if warehouse_id is not None else ""
        super().__init__(_("SKU %(sku)s%(where)s: %(requested)s %(state)s units needed, %(available)s there.",
                           sku=sku_id, where=where, requested=requested, available=available, state=state))


class CountBelowCommitted(InventoryError):
    """A stocktake count lower than what is locked, damaged or held."""

    def __init__(self, sku_id, warehouse_id, counted, committed):
        self.sku_id, self.warehouse_id, self.counted, self.committed = sku_id, warehouse_id, counted, committed
        super().__init__(_("SKU %(sku)s in warehouse %(warehouse)s: the count %(counted)s is below the "
                           "%(committed)s units locked, damaged or on hold; release or move them first.",
                           sku=sku_id, warehouse=warehouse_id, counted=counted, committed=committed))


class LockNotLive(InventoryError):
    """The reservation is already deducted, released or expired (or does not exist)."""

    def __init__(self, lock_id, status=None):
        self.lock_id, self.status = lock_id, status
        super().__init__(_("Reservation %(lock)s is %(status)s, not live.", lock=lock_id,
                           status=status or _("unknown")))


class InvalidState(InventoryError):
    """A stock state a move or return cannot use."""

    def __init__(self, state):
        self.state = state
        super().__init__(_("%(state)r is not a stock state here; use sellable, damaged or quality_hold.",
                           state=state))


class AnomalyGone(InventoryError):
    """A repair found nothing left to repair: someone or something fixed it since the check."""

    def __init__(self, what):
        self.what = what
        super().__init__(_("%(what)s: this no longer needs repair; reload the page to see the current figures.",
                           what=what))


class StocktakeNeeded(InventoryError):
    """Recomputing the locked quantity cannot make the stock row sound: the goods must be counted."""

    def __init__(self, sku_id, warehouse_id):
        self.sku_id, self.warehouse_id = sku_id, warehouse_id
        super().__init__(_("SKU %(sku)s in warehouse %(warehouse)s: setting locked to the live reservations "
                           "would not make the figures add up; only a stocktake can fix it (release or write "
                           "off units first if fewer are there than locked, damaged or on hold).",
                           sku=sku_id, warehouse=warehouse_id))


class CannotRepair(InventoryError):
    """The inventory has no repair for this anomaly; the message says who can fix it."""
