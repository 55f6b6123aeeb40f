"""Domain events: dataclasses delivered synchronously to every enabled plugin,
inside the transaction that raised them.

A plugin defines its events as dataclasses (``OrderPlaced`` in the orders
plugin); give them a ``merchant_id`` attribute so a merchant that switched a
plugin off does not get that plugin's reactions.
"""
from .plugins import call


class EventRejected(Exception):
    """A handler refuses the operation; the message is shown to the user and
    the whole transaction is rolled back by the caller."""


def publish(event):
    """Deliver ``event`` to the ``portal_on_event`` hook of enabled plugins."""
    call("portal_on_event", merchant_id=getattr(event, "merchant_id", None), event=event)
