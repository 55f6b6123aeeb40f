"""The engine's verdicts in words, for the simulator and the order page."""
from flask_babel import gettext as _

from portal.money import minor_unit

from ..models import KIND_LABELS
from .engine import to_money


def reason(code, args):
    """A sentence for a verdict code and its arguments."""
    texts = {
        "applied": lambda a: _("Applied."),
        "out_of_scope": lambda a: _("No line of the cart is in its scope."),
        "paused": lambda a: _("Paused."),
        "ended": lambda a: _("Ended."),
        "not_started": lambda a: _("Starts at %(when)s (UTC).", when=a.get("starts_at")),
        "over": lambda a: _("Ended at %(when)s (UTC).", when=a.get("ends_at")),
        "out_of_session": lambda a: _("Outside its flash sessions (%(sessions)s UTC).", sessions=a.get("sessions")),
        "needs_code": lambda a: _("Its coupon code was not presented."),
        "code_used_up": lambda a: _("Coupon code %(code)s is used up.", code=a.get("code")),
        "code_bound": lambda a: _("Coupon code %(code)s was issued to another customer.", code=a.get("code")),
        "uses_exhausted": lambda a: _("Its total number of uses is reached."),
        "budget_exhausted": lambda a: _("Its budget is spent."),
        "needs_customer": lambda a: _("It has a per-customer limit and the order has no customer reference."),
        "customer_limit": lambda a: _("The customer has already had it %(limit)s times (its limit).",
                                      limit=a.get("limit")),
        "excluded_by": lambda a: _("Cannot combine with %(rules)s, applied before it by priority.",
                                   rules=a.get("rules")),
        "below_threshold": lambda a: _("Needs a spend of %(needed)s in scope; the cart has %(spent)s.",
                                       needed=a.get("needed"), spent=a.get("spent")),
        "not_enough_items": lambda a: _("Needs %(needed)s items in scope; the cart has %(have)s.",
                                        needed=a.get("needed"), have=a.get("have")),
        "gift_missing": lambda a: _("The gift SKU %(sku)s is not in the cart.", sku=a.get("sku")),
        "nothing_left": lambda a: _("Earlier rules already took its lines to zero."),
        "no_benefit": lambda a: _("It gives nothing on this cart."),
        "too_small": lambda a: _("Its discount rounds to less than the currency's smallest unit."),
        "code_unknown": lambda a: _("Coupon code %(code)s does not exist.", code=a.get("code")),
    }
    text = texts.get(code)
    return text(args or {}) if text else code


def rows(verdicts, currency):
    """Verdicts (``Verdict`` objects or their stored dicts) as table rows: applied ones first, in order."""
    minor = minor_unit(currency)
    result = []
    for v in verdicts:
        v = v if isinstance(v, dict) else v.__dict__
        result.append({"rule_id": v["rule_id"], "name": v["name"], "kind": _(KIND_LABELS.get(v["kind"], v["kind"])),
                       "applied": v["applied"], "sequence": v["sequence"],
                       "amount": to_money(v["minor_units"], minor), "reason": reason(v["code"], v["args"])})
    return sorted(result, key=lambda r: (not r["applied"], r["sequence"] or 0, r["name"], r["rule_id"] or 0))
