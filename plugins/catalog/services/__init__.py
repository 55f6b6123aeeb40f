"""The catalog's business rules, one module per subject:

- ``library``: the platform's category tree, brands and attribute templates;
- ``products``: products (SPU), their parameters, images and SKUs;
- ``review``: the review a product waits for when the platform turns it on;
- ``shelf``: on and off the shelf, in bulk and at a scheduled time;
- ``queries``: the list queries (search, filters, sort) and dashboard figures.

Every function takes the acting user (``actor``; None for the system, e.g. a
scheduled job) and works on ``db.session`` without committing: the caller
commits, so a failure leaves nothing half written.
"""
from flask_babel import gettext as _
from portal import access


class CatalogError(ValueError):
    """A rule was broken or a field is wrong; the message names the field and
    says what to do."""


def require(actor, resource, level):
    """Raise ``AccessDenied`` unless ``actor`` holds ``level`` on ``resource``.
    The system (``actor`` None) may do anything."""
    if actor is not None:
        access.require(resource, level, user=actor)


def require_record(actor, resource, record, level):
    """Raise ``AccessDenied`` unless ``actor`` reaches ``record`` (its merchant
    included) at ``level``."""
    if actor is not None and access.record_level(resource, record, user=actor) < access.level_value(level):
        raise access.AccessDenied(_("You cannot change this record."))


def require_platform(actor, what):
    """Only platform staff keep the shared library and review products, whatever
    a merchant's role grants."""
    if actor is not None and actor.merchant_id is not None:
        raise access.AccessDenied(_("Only platform staff can %(what)s.", what=_(what)))


def text(value, field, max_length, required=False):
    """A trimmed string, checked for presence and length."""
    value = (value or "").strip()
    if required and not value:
        raise CatalogError(_("%(field)s: required.", field=_(field)))
    if len(value) > max_length:
        raise CatalogError(_("%(field)s: at most %(n)s characters.", field=_(field), n=max_length))
    return value


def integer(value, field, minimum=None, required=False):
    """An optional whole number from a form, checked against ``minimum``."""
    if value is None or str(value).strip() == "":
        if required:
            raise CatalogError(_("%(field)s: required.", field=_(field)))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise CatalogError(_("%(field)s: %(value)r is not a whole number.", field=_(field), value=value)) from None
    if minimum is not None and number < minimum:
        raise CatalogError(_("%(field)s: must be at least %(minimum)s.", field=_(field), minimum=minimum))
    return number
