"""The order lifecycle as a table of allowed transitions, and the one place
that changes an order's state.

::

    pending_payment  --pay-->      pending_shipment --ship-->    pending_receipt --receive--> completed
    pending_payment  --cancel-->   cancelled         <--cancel-- pending_shipment (nothing shipped yet)
    pending_receipt  --request-->  after_sales       <--request-- completed (within the after-sales window)
    completed        --close-->    closed            <--close--  after_sales (the case finished)

``move`` is a conditional UPDATE (``WHERE state = <from>``): the database
decides when two people (or a person and a timer) act on one order at once,
and the loser gets ``InvalidTransition`` naming the state it found. ``log``
writes what every transition leaves behind: a history row, an audit row and
the domain event, in the same transaction.
"""
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit import actor_name
from portal.events import publish
from portal.extensions import db

from ..models import (AFTER_SALES, CANCELLED, CLOSED, COMPLETED, PENDING_PAYMENT, PENDING_RECEIPT,
                      PENDING_SHIPMENT, Order, OrderHistory)
from .core import audit, now_or
from .errors import InvalidTransition

PAY, SHIP, RECEIVE, CANCEL, REQUEST_AFTER_SALES, CLOSE = (
    "pay", "ship", "receive", "cancel", "request_after_sales", "close")

# (from, to) -> the action that makes it; any other pair is refused
TRANSITIONS = {
    (PENDING_PAYMENT, PENDING_SHIPMENT): PAY,
    (PENDING_PAYMENT, CANCELLED): CANCEL,
    (PENDING_SHIPMENT, PENDING_RECEIPT): SHIP,
    (PENDING_SHIPMENT, CANCELLED): CANCEL,
    (PENDING_RECEIPT, COMPLETED): RECEIVE,
    (PENDING_RECEIPT, AFTER_SALES): REQUEST_AFTER_SALES,
    (COMPLETED, AFTER_SALES): REQUEST_AFTER_SALES,
    (COMPLETED, CLOSED): CLOSE,
    (AFTER_SALES, CLOSED): CLOSE,
}
# the time each state stamps on the order when entered
STAMPS = {PENDING_SHIPMENT: "paid_at", PENDING_RECEIPT: "shipped_at", COMPLETED: "received_at",
          CANCELLED: "cancelled_at", CLOSED: "closed_at"}


def allowed(from_state, to_state):
    """Does the lifecycle allow this change?"""
    return (from_state, to_state) in TRANSITIONS


def targets(from_state):
    """The states an order in ``from_state`` may go to, in table order."""
    return [to for (source, to) in TRANSITIONS if source == from_state]


def check(order, to_state, why=""):
    """``InvalidTransition`` naming both states unless the change is allowed."""
    if not allowed(order.state, to_state):
        raise InvalidTransition(order.number, order.state, to_state, why)


def _update(order_id, from_state, to_state, now, values, conditions):
    """The conditional UPDATE; the values written, or None when no row matched."""
    changes = dict(values or {})
    if to_state in STAMPS:
        changes[STAMPS[to_state]] = now
    moved = db.session.execute(
        update(Order).where(Order.id == order_id, Order.state == from_state, *conditions)
        .values(state=to_state, **changes).execution_options(synchronize_session=False)).rowcount
    return {"state": to_state, **changes} if moved == 1 else None


def move(order, to_state, now=None, values=None, conditions=()):
    """Change ``order``'s state from the one it was loaded in, stamping the
    time (and ``values``) when the row is still in that state and meets
    ``conditions``; ``InvalidTransition`` naming the state found otherwise.
    Returns the state it left."""
    from_state = order.state
    check(order, to_state)
    written = _update(order.id, from_state, to_state, now_or(now), values, conditions)
    if written is None:
        found = db.session.execute(select(Order.state).where(Order.id == order.id)).scalar()
        db.session.refresh(order)
        raise InvalidTransition(order.number, found, to_state)
    # what the row holds now, so nothing is flushed again
    for name, value in written.items():
        set_committed_value(order, name, value)
    return from_state


def move_by_id(order_id, from_state, to_state, now, values=None, conditions=()):
    """``move`` for a timer that has only the id: the conditional UPDATE is
    the transaction's first statement (SQLite lets a transaction that has
    read start writing only if nobody wrote since). Returns the loaded order,
    or None when it is no longer in ``from_state`` or its time has not come."""
    if _update(order_id, from_state, to_state, now, values, conditions) is None:
        return None
    return db.session.execute(select(Order).where(Order.id == order_id)
                              .execution_options(populate_existing=True)).scalar_one()


def _non_user(actor):
    """What the history keeps of an actor that is no user: a token's name or
    a given text; None for a user (``user_id`` names them) and for the system."""
    if actor is None or getattr(actor, "id", None) is not None:
        return None
    return actor_name(actor)[:120]


def log(actor, order, from_state, to_state, event, note="", now=None, action=None, **summary):
    """What a transition leaves: a history row, an audit row, the event."""
    db.session.add(OrderHistory(order_id=order.id, merchant_id=order.merchant_id, from_state=from_state,
                                to_state=to_state, note=(note or "")[:500], user_id=getattr(actor, "id", None),
                                actor=_non_user(actor),
                                created_at=now_or(now)))
    audit(action or TRANSITIONS.get((from_state, to_state), "place"), actor, order,
          **{"from": from_state, "to": to_state}, **({"note": note} if note else {}), **summary)
    if event is not None:
        publish(event)
