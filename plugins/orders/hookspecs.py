"""The orders plugin's extension points (prefix ``orders_``), for plugins that
take part in pricing an order: promotions (discounts), logistics (freight),
members (points). Called through ``portal.plugins.call`` for the order's
merchant, so a plugin the merchant switched off adds nothing to its orders.
"""
from portal.hookspecs import hookspec


@hookspec
def orders_price_draft(draft):
    """Called each time a merchant's part of a checkout is priced: when an
    order is placed and when a price is previewed (nothing is written then).

    Args: draft, a ``plugins.orders.services.pricing.Draft``: the merchant, the
    currency, the buyer's region (``CN-GD``) and city (``city_code``: a GB/T
    2260 code such as ``440300``, or empty), the channel and customer
    reference, the coupon codes the buyer presented (``coupon_codes``), the loyalty
    ``points`` the buyer asks to spend on the whole checkout (0: none; every part
    carries the same number), ``parts`` (``(merchant_id, list_total)`` of every
    merchant's part of the checkout, this one included, so a plugin can spread a
    checkout-wide amount over the orders and answer this part's share), and
    ``lines`` (index, SKU id and code, title, quantity, list price per unit,
    currency). Do not change it; it is frozen.
    Returns: an iterable of ``plugins.orders.services.pricing.Adjustment``
    (``source``: the plugin's own name; ``kind``: discount, freight, points,
    tax...; ``reason``: a sentence for the buyer and staff; ``amount``: a signed
    ``Decimal`` in the draft's currency, negative to take off, positive to
    add; ``line``: the index of the line it belongs to, or None for the whole
    order), or None for nothing. Each amount is rounded to the currency's
    minor unit and recorded on the order with its source and reason.
    """
