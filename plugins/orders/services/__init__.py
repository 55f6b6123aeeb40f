"""The orders plugin's services: plain functions taking the acting user (None
for the system: timers, payment notifications) that enforce the business
rules and never commit (the timers aside); see each module:

- ``placing``: validate, split per merchant, price and place a checkout; ``quote``;
- ``pricing``: the ``Draft`` other plugins adjust through ``orders_price_draft``;
- ``machine``: the table of allowed transitions and the one writer of a state;
- ``lifecycle``: pay, ship, receive, cancel, after-sales, close;
- ``payments``: idempotent payments;
- ``after_sales``: cases (refund only, return and refund, exchange) from request to close;
- ``exchange``: an exchange's replacement shipment;
- ``stock``: reservations and shipments per warehouse, the inventory's extension points;
- ``timers``: the scheduled cancel, complete and close.
"""
from .errors import (EmptyOrder, InvalidField, InvalidLine, InvalidPayment, InvalidQuantity, InvalidTransition,
                     MixedCurrencies, NotPaid, OrderNotFound, OrderNotLive, OrdersError, OutOfStock,
                     PaymentConflict, PricingError, SkuNotOnSale, UnallocatedLine, UnknownSku)
from .lifecycle import (allocate_again, cancel, change_state, close, paid_amount, pay, receive,
                        request_after_sales, ship)
from .machine import TRANSITIONS, allowed, targets
from .payments import record_payment
from .placing import Buyer, place, quote
from .pricing import Adjustment, Draft, DraftLine, Priced, price
from .timers import cancel_unpaid, close_after_sales, complete_shipped

__all__ = ["EmptyOrder", "InvalidField", "InvalidLine", "InvalidPayment", "InvalidQuantity", "InvalidTransition",
           "MixedCurrencies", "NotPaid", "OrderNotFound", "OrderNotLive", "OrdersError", "OutOfStock",
           "PaymentConflict", "PricingError", "SkuNotOnSale", "UnallocatedLine", "UnknownSku", "allocate_again",
           "cancel", "change_state", "close", "paid_amount", "pay", "receive", "request_after_sales", "ship",
           "TRANSITIONS", "allowed", "targets", "record_payment", "Buyer", "place", "quote", "Adjustment", "Draft",
           "DraftLine", "Priced", "price", "cancel_unpaid", "close_after_sales", "complete_shipped"]
