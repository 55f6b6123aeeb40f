"""The logistics plugin's extension points (prefix ``logistics_``)."""
from portal.hookspecs import hookspec


@hookspec
def logistics_freight_waiver(merchant_id, channel, customer_ref):
    """Called when an order of ``merchant_id`` is priced with freight above
    zero (and again when it is placed, to keep why its freight was waived),
    for the plugins enabled for that merchant.

    Args: merchant_id, the store whose order it is; channel and customer_ref,
    the buyer's reference as the order carries it ("" when it has none).
    Returns: a short reason the buyer ships free ("member level Gold ships
    free"), or None. The first reason given waives the whole freight: the
    order gets a freight adjustment taking it back to zero, naming the reason.
    """
