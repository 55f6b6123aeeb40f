"""Commission rules: created, changed and deleted by finance staff with finance.rule."""
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from plugins.catalog.models import Category
from portal.extensions import db
from portal.models import Merchant

from ..models import FEE_BEARERS, CommissionRule
from .core import FinanceError, audit
from .settlement import _guard

RULE = "finance.rule"


def _decimal(form, name, label, places):
    raw = (form.get(name) or "").strip() or "0"
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FinanceError(_("%(field)s: %(value)r is not a number.", field=label, value=raw)) from None
    if not value.is_finite() or value < 0 or value != round(value, places):
        raise FinanceError(_("%(field)s: a number of at least zero with at most %(n)s decimals.", field=label,
                             n=places))
    return value


def _day(form, name, label, required):
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            raise FinanceError(_("%(field)s: required.", field=label))
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FinanceError(_("%(field)s: %(value)r is not a date (YYYY-MM-DD).", field=label, value=raw)) from None


def _optional_id(form, name, model, label):
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or db.session.get(model, int(raw)) is None:
        raise FinanceError(_("%(field)s: choose one from the list.", field=label))
    return int(raw)


def save_rule(actor, rule, form):
    """Create (``rule`` None) or change a rule from form fields."""
    _guard(actor, RULE, "write")
    name = (form.get("name") or "").strip()
    if not name or len(name) > 120:
        raise FinanceError(_("Name: required, at most 120 characters."))
    percent = _decimal(form, "percent", _("Percent"), 4)
    if percent > 100:
        raise FinanceError(_("Percent: at most 100."))
    values = {"name": name, "percent": percent, "fixed": _decimal(form, "fixed", _("Fixed amount"), 2),
              "merchant_id": _optional_id(form, "merchant_id", Merchant, _("Merchant")),
              "category_id": _optional_id(form, "category_id", Category, _("Category")),
              "valid_from": _day(form, "valid_from", _("Valid from"), True),
              "valid_to": _day(form, "valid_to", _("Valid to"), False)}
    raw_priority = (form.get("priority") or "0").strip()
    if not raw_priority.lstrip("-").isdigit():
        raise FinanceError(_("Priority: a whole number."))
    values["priority"] = int(raw_priority)
    if values["valid_to"] and values["valid_to"] < values["valid_from"]:
        raise FinanceError(_("Valid to: on or after the day it is valid from."))
    bearer = form.get("fee_bearer") or ""
    if bearer not in FEE_BEARERS:
        raise FinanceError(_("Provider fees: choose who pays them."))
    values["fee_bearer"] = bearer
    created = rule is None
    if created:
        rule = CommissionRule(**values)
        db.session.add(rule)
    else:
        for key, value in values.items():
            setattr(rule, key, value)
    db.session.flush()
    audit("rule_created" if created else "rule_changed", actor, f"rule:{rule.id}", merchant_id=rule.merchant_id,
          **{k: str(v) for k, v in values.items() if k != "merchant_id"})
    return rule


def delete_rule(actor, rule):
    """Delete a rule; settlements already made keep their figures."""
    _guard(actor, RULE, "manage")
    audit("rule_deleted", actor, f"rule:{rule.id}", merchant_id=rule.merchant_id, name=rule.name,
          percent=str(rule.percent), fixed=str(rule.fixed))
    from ..models import SettlementLine
    db.session.query(SettlementLine).filter(SettlementLine.rule_id == rule.id).update({"rule_id": None})
    db.session.delete(rule)
