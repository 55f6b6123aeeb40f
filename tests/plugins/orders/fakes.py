"""Fake plugins beside the real orders plugin: ``fakepromo`` answers
``orders_price_draft`` (merchants may switch it off), ``fakewatch`` listens on
``portal_on_event``. What they answer and what they saw live on ``Fakes``,
reset by each test."""
from plugins.orders import events as order_events
from portal.events import EventRejected
from tests.core.plugin_fakes import fake_plugin


class Fakes:
    """Set by each test: ``price(draft)`` answers the pricing hook;
    ``reject`` an event class the listener refuses, or a predicate on the event."""

    price = None
    reject = None
    drafts = []
    events = []

    @classmethod
    def reset(cls):
        cls.price, cls.reject, cls.drafts, cls.events = None, None, [], []


def _price_draft(draft):
    Fakes.drafts.append(draft)
    return Fakes.price(draft) if Fakes.price else None


def _on_event(event):
    if type(event).__module__ != order_events.__name__:
        return
    reject = Fakes.reject
    if reject is not None and (isinstance(event, reject) if isinstance(reject, type) else reject(event)):
        raise EventRejected(f"{type(event).__name__} refused by the listener")
    Fakes.events.append(event)


def fake_plugins():
    return [fake_plugin("fakepromo", requires=["orders"], merchant_toggle=True, orders_price_draft=_price_draft),
            fake_plugin("fakewatch", requires=["orders"], portal_on_event=_on_event)]
