"""The content plugin's business rules, one module per subject:

- ``pages``: homepages and campaign pages, their schedule and linked products;
- ``floors``: the draft's floors and slots (add, edit, reorder, duplicate, hide);
- ``publishing``: the draft as a snapshot, publishing, versions and rollback;
- ``storefront``: what is live at a moment, resolved against the catalog, as JSON;
- ``tracking``: impressions and clicks per slot, and the clicks report.

Every function takes the acting user (``actor``; None for the system) and
works on ``db.session`` without committing: the caller commits, so a failure
leaves nothing half written.
"""
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import access
from portal.extensions import db
from portal.plugins import bump_version

PAGE, PUBLISH = "content.page", "content.publish"
# bumped on every change the storefront must see at once (publishing, products leaving the shelf)
VERSION_KEY = "content"


class ContentError(ValueError):
    """A rule was broken or a field is wrong; the message names the field."""


def require(actor, resource, level):
    """``AccessDenied`` unless ``actor`` holds ``level`` on ``resource`` (the system may do anything)."""
    if actor is not None:
        access.require(resource, level, user=actor)


def require_record(actor, record, level, resource=PAGE):
    """``AccessDenied`` unless ``actor`` reaches ``record`` (its merchant included) at ``level``."""
    require(actor, resource, level)
    if actor is not None and access.record_level(resource, record, user=actor) < access.level_value(level):
        raise access.AccessDenied(_("You cannot change this page."))


def new_key():
    """A short random key for a floor or slot."""
    return secrets.token_hex(6)


def text(value, field, max_length, required=False):
    """A trimmed string, checked for presence and length."""
    value = (value or "").strip()
    if required and not value:
        raise ContentError(_("%(field)s: required.", field=field))
    if len(value) > max_length:
        raise ContentError(_("%(field)s: at most %(n)s characters.", field=field, n=max_length))
    return value


def integer(value, field, minimum=None, maximum=None, required=False):
    """An optional whole number from a form, checked against its bounds."""
    if value is None or str(value).strip() == "":
        if required:
            raise ContentError(_("%(field)s: required.", field=field))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ContentError(_("%(field)s: %(value)s is not a whole number.", field=field, value=value)) from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ContentError(_("%(field)s: must be between %(low)s and %(high)s.", field=field,
                             low=minimum if minimum is not None else "", high=maximum if maximum is not None else ""))
    return number


def window(starts_at, ends_at):
    """Check a start/end pair (naive UTC datetimes or None): the end after the start."""
    for value in (starts_at, ends_at):
        if value is not None and not isinstance(value, datetime):
            raise ContentError(_("Times must be dates with a time of day."))
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ContentError(_("End: must be after the start."))
    return starts_at, ends_at


def is_live(starts_at, ends_at, now):
    """Inside the window at ``now``: the start included, the end excluded; an open side never limits."""
    return (starts_at is None or starts_at <= now) and (ends_at is None or now < ends_at)


_BUMPED = "content_storefront_bumped"


def storefront_changed():
    """Tell every process that cached storefront answers are stale (once per
    transaction: a bulk shelf change sends an event per product)."""
    if db.session.info.get(_BUMPED):
        return
    bump_version(VERSION_KEY)
    db.session.info[_BUMPED] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _settled(session, *args):
    session.info.pop(_BUMPED, None)
