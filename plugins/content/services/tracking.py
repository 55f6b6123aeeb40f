"""Impressions and clicks per published floor and slot, counted per UTC day.

The endpoint is open to every shopper's browser, so what it accepts is
narrow: a bounded number of events per call, only floors and slots of the
page's *published* version (a draft's keys are refused, so nothing about
unpublished work can be probed or counted), and counts added with one
conditional UPDATE per slot (an INSERT the first time that day)."""
import re
from collections import Counter

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import utcnow

from ..models import SlotStat
from .storefront import published_keys

MAX_EVENTS = 50
KINDS = ("impression", "click")
RULE_ITEM = re.compile(r"^p[1-9][0-9]{0,9}$")


class TrackingRefused(ValueError):
    """The events were refused as a whole; the message says which one and why."""


def _parse(events, keys):
    if not isinstance(events, list) or not events:
        raise TrackingRefused(_("events: send a list of 1 to %(n)s events.", n=MAX_EVENTS))
    if len(events) > MAX_EVENTS:
        raise TrackingRefused(_("events: at most %(n)s per call.", n=MAX_EVENTS))
    counts = Counter()
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise TrackingRefused(_("events[%(i)s]: must be an object.", i=index))
        kind, floor, slot = event.get("type"), event.get("floor"), event.get("slot") or ""
        if kind not in KINDS:
            raise TrackingRefused(_("events[%(i)s].type: must be impression or click.", i=index))
        if not isinstance(floor, str) or floor not in keys:
            raise TrackingRefused(_("events[%(i)s].floor: not a floor of the published page.", i=index))
        slot_keys, by_rule = keys[floor]
        if not isinstance(slot, str) or (slot and slot not in slot_keys and not (by_rule and RULE_ITEM.match(slot))):
            raise TrackingRefused(_("events[%(i)s].slot: not an entry of that floor.", i=index))
        counts[(floor, slot, kind)] += 1
    return counts


def record_events(page_id, events, now=None):
    """Add the events to today's counts; returns how many were counted.
    Raises ``TrackingRefused`` (nothing counted) on any bad event, and
    LookupError when the page has no published version."""
    found = published_keys(page_id)
    if found is None:
        raise LookupError(page_id)
    page, keys = found
    counts = _parse(events, keys)
    day = (now or utcnow()).date()
    per_slot = {}
    for (floor, slot, kind), n in counts.items():
        per_slot.setdefault((floor, slot), Counter())[kind] += n
    for (floor, slot), figures in sorted(per_slot.items()):
        _add(page, day, floor, slot, figures["impression"], figures["click"])
    return sum(counts.values())


def _add(page, day, floor, slot, impressions, clicks):
    table = SlotStat.__table__
    where = (table.c.page_id == page.id, table.c.day == day, table.c.floor_key == floor, table.c.slot_key == slot)
    changes = {"impressions": table.c.impressions + impressions, "clicks": table.c.clicks + clicks}
    if db.session.execute(update(table).where(*where).values(**changes)).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(SlotStat(page_id=page.id, merchant_id=page.merchant_id, day=day, floor_key=floor,
                                    slot_key=slot, impressions=impressions, clicks=clicks))
    except IntegrityError:  # another request inserted the day's row first
        db.session.execute(update(table).where(*where).values(**changes))


def report(page, since, until):
    """``{floor key: {"impressions", "clicks", "slots": {slot key: (impressions, clicks)}}}``
    between two dates (both included)."""
    rows = db.session.execute(
        select(SlotStat.floor_key, SlotStat.slot_key, func.sum(SlotStat.impressions), func.sum(SlotStat.clicks))
        .where(SlotStat.page_id == page.id, SlotStat.day >= since, SlotStat.day <= until)
        .group_by(SlotStat.floor_key, SlotStat.slot_key)).all()
    result = {}
    for floor, slot, impressions, clicks in rows:
        entry = result.setdefault(floor, {"impressions": 0, "clicks": 0, "slots": {}})
        entry["impressions"] += int(impressions or 0)
        entry["clicks"] += int(clicks or 0)
        if slot:
            entry["slots"][slot] = (int(impressions or 0), int(clicks or 0))
    return result
