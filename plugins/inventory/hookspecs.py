"""The inventory's extension points (prefix ``inventory_``), for the plugin
that owns orders. The stock check (``flask portal inventory check`` and the
exceptions page) asks them whether reservations and order lines agree; while no
enabled plugin implements them, those checks are not made and the page says so.

Both are called at platform level (``merchant_id=None``), outside any request
the implementation may rely on.
"""
from portal.hookspecs import hookspec


@hookspec
def inventory_live_orders(order_refs):
    """Called by the stock check with the orders that hold live reservations,
    in batches.

    Args: order_refs, a list of order references (``StockLock.order_ref``).
    Returns: the references among them of orders that still need their stock
    reserved (not yet paid and shipped, not cancelled). A live reservation whose
    order no implementation returns is reported as "reservation with no live
    order" and may be released.
    """


@hookspec
def inventory_lines_to_lock(merchant_ids):
    """Called by the stock check to find order lines that should hold stock.

    Args: merchant_ids, a set of merchant ids to limit the answer to, or None
    for every merchant.
    Returns: an iterable of ``(order_ref, line_ref, sku_id, qty)``: each order
    line whose ``qty`` units must be reserved now (ordered, not shipped, not
    cancelled). A line whose live reservations (``StockLock`` rows with that
    order and line reference) add up to less is reported as "order line with
    no reservation"; the inventory cannot repair it, the order must be
    allocated again.
    """
