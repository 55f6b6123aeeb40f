"""The orders plugin's business errors: each message says what failed (the
line, field or order) and what to do; the operation that raised it wrote
nothing."""
from flask_babel import gettext as _

from plugins.inventory.services import InsufficientStock

from ..models import STATE_LABELS


def state_label(state):
    """A state's name for people ("pending payment"), translated."""
    return _(STATE_LABELS[state]) if state in STATE_LABELS else str(state)


class OrdersError(Exception):
    """Base of the orders plugin's business errors."""


class InvalidField(OrdersError):
    """A buyer, channel or shipment field that is missing or wrong."""

    def __init__(self, field, problem):
        self.field, self.problem = field, problem
        super().__init__(_("%(field)s: %(problem)s", field=field, problem=problem))


class InvalidLine(OrdersError):
    """An order line that cannot be sold as given; ``line`` counts from 1."""

    def __init__(self, line, problem):
        self.line, self.problem = line, problem
        super().__init__(_("Line %(line)s: %(problem)s", line=line, problem=problem))


class EmptyOrder(OrdersError):
    """No line at all."""

    def __init__(self):
        super().__init__(_("The order has no lines; add at least one SKU."))


class UnknownSku(InvalidLine):
    """The SKU does not exist, or belongs to another merchant than the acting staff's."""

    def __init__(self, line, sku_id):
        self.sku_id = sku_id
        super().__init__(line, _("SKU %(sku)s does not exist.", sku=sku_id))


class SkuNotOnSale(InvalidLine):
    """The SKU exists but is off the shelf or inactive."""

    def __init__(self, line, code):
        self.code = code
        super().__init__(line, _("SKU %(code)s is not on sale (off the shelf or inactive).", code=code))


class InvalidQuantity(InvalidLine):
    """A quantity that is not a whole number above zero."""

    def __init__(self, line, value):
        self.value = value
        super().__init__(line, _("the quantity %(value)r is not a whole number above zero.", value=value))


class MixedCurrencies(InvalidLine):
    """A line priced in another currency than the lines before it."""

    def __init__(self, line, code, currency, expected):
        self.code, self.currency, self.expected = code, currency, expected
        super().__init__(line, _("SKU %(code)s is priced in %(currency)s, the lines before it in %(expected)s; "
                                 "place a separate order per currency.", code=code, currency=currency,
                                 expected=expected))


class OutOfStock(InsufficientStock, OrdersError):
    """A line cannot be served from the warehouses that ship to the buyer's
    region; nothing was placed. Still an ``InsufficientStock``."""

    def __init__(self, line, code, sku_id, requested, available, region):
        self.line, self.code, self.region = line, code, region
        self.sku_id, self.requested, self.available = sku_id, requested, available
        self.warehouse_id, self.state = None, "available"
        Exception.__init__(self, _("Line %(line)s: SKU %(code)s: %(requested)s units wanted, %(available)s "
                                   "available to ship to %(region)s. Nothing was ordered; lower the quantity "
                                   "or remove the line.", line=line, code=code, requested=requested,
                                   available=available, region=region))


class PricingError(OrdersError):
    """A plugin answered ``orders_price_draft`` with something that cannot be recorded."""


class OrderNotFound(OrdersError):
    """The order does not exist for the acting user (outside the user's data scope)."""

    def __init__(self, ident):
        self.ident = ident
        super().__init__(_("Order %(order)s does not exist.", order=ident))


class InvalidTransition(OrdersError):
    """A state change the lifecycle does not allow from the order's state."""

    def __init__(self, number, from_state, to_state, why=""):
        self.number, self.from_state, self.to_state = number, from_state, to_state
        labels = {"from": state_label(from_state), "to": state_label(to_state)}
        super().__init__(_("Order %(order)s cannot go from %(from)s to %(to)s%(why)s.", order=number,
                           why=f": {why}" if why else "", **labels))


class OrderNotLive(OrdersError):
    """Stock is reserved only for orders waiting for payment or shipment."""

    def __init__(self, number, state):
        self.number, self.state = number, state
        super().__init__(_("Order %(order)s is %(state)s: only orders waiting for payment or shipment hold stock.",
                           order=number, state=state_label(state)))


class NotPaid(OrdersError):
    """Marking paid an order whose payments do not cover its total."""

    def __init__(self, number, paid, total, currency):
        self.number, self.paid, self.total = number, paid, total
        super().__init__(_("Order %(order)s: %(paid)s of %(total)s %(currency)s paid; record the payment first.",
                           order=number, paid=paid, total=total, currency=currency))


class UnallocatedLine(OrdersError):
    """A line whose reserved stock does not cover what is still to ship."""

    def __init__(self, number, line_id, code, held, needed):
        self.number, self.line_id, self.held, self.needed = number, line_id, held, needed
        super().__init__(_("Order %(order)s, SKU %(code)s: %(held)s of %(needed)s units reserved; "
                           "allocate the order again before shipping it.", order=number, code=code, held=held,
                           needed=needed))


class InvalidPayment(OrdersError):
    """A payment that cannot be recorded: wrong amount, currency, or order state."""


class PaymentConflict(InvalidPayment):
    """A provider reference already recorded for another order or another amount."""

    def __init__(self, method, provider_ref, number):
        self.method, self.provider_ref, self.number = method, provider_ref, number
        super().__init__(_("%(method)s payment %(ref)s is already recorded, for order %(order)s with another "
                           "amount or order; check the reference.", method=method, ref=provider_ref,
                           order=number))
