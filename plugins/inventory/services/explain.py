"""Anomalies in plain words, for the exceptions page and the check command:
what is wrong, and either the repair offered (a button's label and its
confirmation) or what a person has to do instead."""
from flask_babel import gettext as _

from portal.i18n import N_, localtime

from ..models import DAMAGED, LOCKED, ON_HAND, QUALITY_HOLD
from .check import (EXPIRE, EXPIRED_LOCK, LEDGER, LOCKS, NEGATIVE, ORPHAN_LOCK, OVER_COMMITTED, RECOMPUTE,
                    RECONCILE, RELEASE, UNLOCKED_LINE)

KIND_TITLES = {
    LEDGER: N_("Quantity differs from its ledger"),
    NEGATIVE: N_("Quantity below zero"),
    OVER_COMMITTED: N_("More committed than on hand"),
    LOCKS: N_("Locked differs from the reservations"),
    EXPIRED_LOCK: N_("Reservation past its expiry"),
    ORPHAN_LOCK: N_("Reservation with no live order"),
    UNLOCKED_LINE: N_("Order line with no reservation"),
}
STATE_LABELS = {ON_HAND: N_("on-hand"), LOCKED: N_("locked"), DAMAGED: N_("damaged"),
                QUALITY_HOLD: N_("quality hold")}


def state_label(state):
    """A stock state in the user's language."""
    return _(STATE_LABELS.get(state, state))


def title(anomaly):
    """The kind of anomaly, in a few words."""
    return _(KIND_TITLES[anomaly.kind])


def explanation(a):
    """What is wrong, with its figures, in one or two sentences."""
    if a.kind == LEDGER:
        return _("The %(state)s quantity is %(quantity)s but its ledger adds up to %(expected)s: the quantity "
                 "was changed without a ledger row.", state=state_label(a.state), quantity=a.quantity,
                 expected=a.expected)
    if a.kind == NEGATIVE:
        return _("The %(state)s quantity is %(quantity)s, below zero.", state=state_label(a.state),
                 quantity=a.quantity)
    if a.kind == OVER_COMMITTED:
        return _("%(committed)s units are locked, damaged or on hold, but only %(on_hand)s are on hand.",
                 committed=a.expected, on_hand=a.quantity)
    if a.kind == LOCKS:
        return _("%(quantity)s units are locked, but the live reservations add up to %(expected)s.",
                 quantity=a.quantity, expected=a.expected)
    if a.kind == EXPIRED_LOCK:
        return _("Reservation %(lock)s of order %(order)s expired at %(time)s but still holds %(qty)s units: "
                 "the expiry job missed it.", lock=a.lock_id, order=a.order_ref, time=localtime(a.expires_at),
                 qty=a.quantity)
    if a.kind == ORPHAN_LOCK:
        return _("Reservation %(lock)s holds %(qty)s units for order %(order)s, which no longer waits for them "
                 "(shipped, cancelled or unknown).", lock=a.lock_id, qty=a.quantity, order=a.order_ref)
    return _("Order %(order)s line %(line)s needs %(expected)s units reserved but its reservations hold "
             "%(quantity)s.", order=a.order_ref, line=a.line_ref or "-", expected=a.expected, quantity=a.quantity)


def action(a):
    """``(button label, confirmation)`` of the repair the inventory offers, or None."""
    if a.repair == RECONCILE:
        delta = f"{a.repair_value:+d}"
        return (_("Reconcile the ledger"),
                _("Write a “reconcile” ledger row of %(delta)s so the ledger matches the %(state)s quantity "
                  "%(quantity)s? The quantity stays.", delta=delta, state=state_label(a.state),
                  quantity=a.quantity))
    if a.repair == RECOMPUTE:
        return (_("Set locked to %(live)s", live=a.repair_value),
                _("Set locked to %(live)s, the sum of the live reservations, and bring its ledger to it with a "
                  "“reconcile” row?", live=a.repair_value))
    if a.repair == EXPIRE:
        return (_("Expire now"),
                _("Expire reservation %(lock)s of order %(order)s now? Its %(qty)s units become sellable again.",
                  lock=a.lock_id, order=a.order_ref, qty=a.quantity))
    if a.repair == RELEASE:
        return (_("Release"),
                _("Release reservation %(lock)s of order %(order)s? Its %(qty)s units become sellable again.",
                  lock=a.lock_id, order=a.order_ref, qty=a.quantity))
    return None


def advice(a):
    """What a person must do when the inventory offers no repair ("" when it does)."""
    if a.repair:
        return ""
    if a.kind == UNLOCKED_LINE:
        return _("The inventory cannot repair this: allocate order %(order)s again from the order.",
                 order=a.order_ref)
    return _("Only a stocktake can fix this: count the goods of this stock row (release or write off units "
             "first if fewer are there than locked, damaged or on hold).")


def repair_text(a):
    """The repair offered, or the advice, as one sentence (the check command)."""
    offered = action(a)
    return _("Repair offered: %(label)s.", label=offered[0]) if offered else advice(a)


def figures(a):
    """``[(label, value)]``: the figures that show the anomaly."""
    if a.kind == LEDGER:
        return [(state_label(a.state), a.quantity), (_("ledger"), a.expected)]
    if a.kind == NEGATIVE:
        return [(state_label(a.state), a.quantity)]
    if a.kind == OVER_COMMITTED:
        return [(_("on hand"), a.quantity), (_("locked, damaged or on hold"), a.expected)]
    if a.kind == LOCKS:
        return [(_("locked"), a.quantity), (_("live reservations"), a.expected)]
    if a.kind == UNLOCKED_LINE:
        return [(_("needed"), a.expected), (_("reserved"), a.quantity)]
    return [(_("reserved"), a.quantity)]
