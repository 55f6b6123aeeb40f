"""The members' extension points (prefix ``members_``), for plugins that
have something to give to every member of a segment (targeted marketing:
the promotions issue coupon codes). Called for the segment's store, so a
plugin that store switched off offers nothing."""
from portal.hookspecs import hookspec


@hookspec
def members_marketing_offers(actor, merchant_id):
    """Called when staff who may change segments open a saved segment, and
    again before issuing, to list what can be issued to its members.

    Args: actor, the signed-in user; merchant_id, the store the segment
    belongs to (None: the platform's).
    Returns: a list of ``(key, label)``: ``key`` a text starting with the
    plugin's name and a colon (``promotions:12``), ``label`` what staff read;
    an empty list when the user may issue this plugin's offers but none is
    available now; None when the user may not issue any of them (the action
    is then not shown).
    """


@hookspec
def members_issue_offer(actor, merchant_id, key, holders):
    """Called when staff confirm issuing the offer ``key`` to a segment's
    members, inside the transaction that records which member got which code.

    Args: actor and merchant_id as for ``members_marketing_offers``; key, one
    of the keys offered; holders, a list of ``(channel, customer_ref)``, one
    per member: the reference their orders carry at checkout.
    Returns: None when ``key`` is not this plugin's; else a list of codes,
    one per holder in the same order, each usable by that holder only.
    Raises ``portal.access.AccessDenied`` when the actor may not issue it, or
    a ``ValueError`` whose message tells staff why not; nothing is issued
    then.
    """


@hookspec
def members_member_erased(channel, customer_ref):
    """Called when staff erase a member on request, inside the erasure's
    transaction, before the member's reference is replaced, for every plugin
    enabled on the platform.

    Args: channel and customer_ref, the reference the erased person's orders
    carried.
    Returns: nothing. A plugin that keeps something tied to that reference
    (a code issued to the person) makes it anonymous and unusable.
    """
