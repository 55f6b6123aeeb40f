"""Events the orders plugin publishes (``portal.events.publish``) inside the
transaction of the change, one per transition of a merchant order. Each
carries the order's ``merchant_id``, so a merchant that switched a plugin off
does not get that plugin's reactions; amounts are ``Decimal`` in ``currency``."""
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class OrderPlaced:
    """A merchant order was created (state ``pending_payment``), its stock reserved."""

    order_id: int
    number: str
    merchant_id: int
    checkout_id: int
    total: Decimal
    currency: str
    customer_ref: str = ""


@dataclass(frozen=True)
class OrderPaid:
    """Payments cover the order's total (``pending_shipment``)."""

    order_id: int
    number: str
    merchant_id: int
    paid: Decimal
    currency: str


@dataclass(frozen=True)
class OrderShipped:
    """The order's last shipment left its warehouse (``pending_receipt``);
    ``tracking_numbers`` of all its shipments."""

    order_id: int
    number: str
    merchant_id: int
    tracking_numbers: tuple = ()


@dataclass(frozen=True)
class ShipmentShipped:
    """One shipment left its warehouse with ``carrier`` and
    ``tracking_number`` (published before ``OrderShipped``, for every
    shipment, the last one too); a listener refusing it (a tracking number
    its carrier cannot have) stops the shipping."""

    order_id: int
    number: str
    merchant_id: int
    shipment_id: int
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class OrderCompleted:
    """The buyer received the order (or the auto-complete timer ran):
    ``completed``, the after-sales window open until ``after_sales_deadline``."""

    order_id: int
    number: str
    merchant_id: int
    automatic: bool = False


@dataclass(frozen=True)
class OrderCancelled:
    """The order was cancelled before shipment, its stock released;
    ``refunded`` is what was paid and is now owed back (zero when unpaid)."""

    order_id: int
    number: str
    merchant_id: int
    refunded: Decimal
    currency: str
    reason: str = ""
    automatic: bool = False


@dataclass(frozen=True)
class AfterSalesRequested:
    """The buyer asked for after-sales service after shipment (``after_sales``)."""

    order_id: int
    number: str
    merchant_id: int
    reason: str = ""


@dataclass(frozen=True)
class OrderClosed:
    """The order is closed: its after-sales case finished or its window passed."""

    order_id: int
    number: str
    merchant_id: int
    automatic: bool = False


@dataclass(frozen=True)
class RefundApproved:
    """Money of an after-sales case was refunded: negative payment rows of
    ``amount`` recorded against the order (finance owes it to the buyer)."""

    order_id: int
    number: str
    merchant_id: int
    case_id: int
    amount: Decimal
    currency: str
