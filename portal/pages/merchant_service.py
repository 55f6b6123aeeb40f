"""Creating and editing merchants, with the checks a form needs."""
import re

from babel import Locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..audit import record
from ..extensions import db
from ..models import Currency, Merchant

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")


class MerchantError(ValueError):
    """A field is wrong; the message names it."""


def _clean(form, merchant=None):
    data = {k: (form.get(k) or "").strip() for k in ("code", "name", "legal_name", "country", "default_currency")}
    data["code"] = data["code"].upper()
    data["country"] = data["country"].upper()
    data["default_currency"] = data["default_currency"].upper()
    if merchant is None and not CODE.match(data["code"]):
        raise MerchantError(_("Code: 2 to 32 capital letters, digits, '-' or '_'."))
    if not data["name"]:
        raise MerchantError(_("Name: required."))
    if data["country"] not in Locale("en").territories or len(data["country"]) != 2:
        raise MerchantError(_("Country: %(value)s is not an ISO 3166 country code.",
                              value=data['country'] or _("empty")))
    currency = db.session.get(Currency, data["default_currency"])
    if currency is None:
        raise MerchantError(_("Default currency: %(value)s is not a known currency.",
                              value=data['default_currency'] or _("empty")))
    return data


def create(form, actor=None):
    data = _clean(form)
    if db.session.execute(select(Merchant).where(Merchant.code == data["code"])).scalar_one_or_none():
        raise MerchantError(_("Code: a merchant with the code %(code)s already exists.", code=data['code']))
    merchant = Merchant(**data, status="active")
    db.session.add(merchant)
    db.session.flush()
    record("merchant.create", target=merchant.code, actor=actor, merchant_id=merchant.id, summary=data)
    return merchant


def update(merchant, form, actor=None):
    data = _clean(form, merchant)
    data.pop("code")
    changes = {k: [getattr(merchant, k), v] for k, v in data.items() if getattr(merchant, k) != v}
    for key, value in data.items():
        setattr(merchant, key, value)
    if changes:
        record("merchant.update", target=merchant.code, actor=actor, merchant_id=merchant.id, summary=changes)
    return merchant
