"""Rules: created, changed, copied, paused, resumed and ended by staff, each
change audited. A merchant's staff make rules for their own merchant's
products only; the platform's staff for any merchant, or for all."""
import json
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from plugins.catalog.models import Brand, Category, Product, Sku
from portal import access
from portal.audit import record
from portal.extensions import db
from portal.models import Merchant, utcnow

from ..models import (ACTIVE, AMOUNT, BRAND, BUY_GET, CATEGORY, COUPON, ENDED, FLASH, FUNDERS, KINDS, MERCHANT,
                      N_ITEMS, PAUSED, PERCENT, PRODUCT, SCOPES, SKU, STORE, TIERS, CouponCode, Rule, RuleTarget)
from .errors import InvalidRule, StatusRefused

RULE = "promotions.rule"
SESSION = r"^\d{2}:\d{2}$"


def _text(data, field, max_length, required=False):
    value = str(data.get(field) or "").strip()
    if required and not value:
        raise InvalidRule(field, _("required."))
    if len(value) > max_length:
        raise InvalidRule(field, _("at most %(n)s characters.", n=max_length))
    return value


def _amount(data, field, required=False, positive=True):
    raw = str(data.get(field) or "").strip()
    if not raw:
        if required:
            raise InvalidRule(field, _("required: an amount such as 20 or 9.90."))
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidRule(field, _("%(value)r is not an amount such as 20 or 9.90.", value=raw)) from None
    if not value.is_finite() or value < 0 or (positive and value == 0) or value.as_tuple().exponent < -4:
        raise InvalidRule(field, _("%(value)r: enter an amount above zero with at most 4 decimals.", value=raw))
    return value


def _whole(data, field, required=False, minimum=1):
    raw = str(data.get(field) or "").strip()
    if not raw:
        if required:
            raise InvalidRule(field, _("required: a whole number."))
        return None
    if not raw.lstrip("-").isdigit() or int(raw) < minimum or int(raw) > 10**9:
        raise InvalidRule(field, _("%(value)r: enter a whole number from %(minimum)s.", value=raw, minimum=minimum))
    return int(raw)


def _percent(data, field):
    value = _amount(data, field, required=True)
    if value > 100:
        raise InvalidRule(field, _("a percentage from 0 to 100."))
    return value


def _ids(raw):
    return sorted({int(part) for part in str(raw or "").replace(",", " ").split() if part.isdigit()})


def params_of(kind, data, merchant_id):
    """The kind's parameters from form fields; ``InvalidRule`` naming the field."""
    if kind == PERCENT:
        return {"percent": str(_percent(data, "percent"))}
    if kind == AMOUNT:
        return {"amount": str(_amount(data, "amount", required=True))}
    if kind == TIERS:
        return {"tiers": _tiers(data.get("tiers"))}
    if kind == N_ITEMS:
        return {"n": _whole(data, "n", required=True, minimum=2), "percent": str(_percent(data, "percent"))}
    if kind == BUY_GET:
        params = {"buy": _whole(data, "buy", required=True), "get": _whole(data, "get", required=True)}
        gift = _text(data, "gift_sku", 64)
        if gift:
            sku = _sku_by_code(gift, merchant_id, "gift_sku")
            params.update(gift_sku_id=sku.id, gift_sku_code=sku.code)
        return params
    if kind == FLASH:
        return {"price": str(_amount(data, "price", required=True)), "sessions": _sessions(data.get("sessions"))}
    if kind == COUPON:
        benefit = data.get("benefit") if data.get("benefit") in (PERCENT, AMOUNT) else None
        if benefit is None:
            raise InvalidRule("benefit", _("choose percentage or amount off."))
        value = _percent(data, "percent") if benefit == PERCENT else _amount(data, "amount", required=True)
        return {"benefit": benefit, benefit: str(value)}
    raise InvalidRule("kind", _("choose a rule type from the list."))


def _tiers(raw):
    """``"100:20, 200:50"`` -> ``[["100", "20"], ["200", "50"]]`` by spend."""
    tiers = []
    for part in str(raw or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        spend, _sep, off = part.partition(":")
        try:
            spend, off = Decimal(spend.strip()), Decimal(off.strip())
        except InvalidOperation:
            raise InvalidRule("tiers", _("%(part)r: write each tier as spend:saving, e.g. 100:20.",
                                         part=part.strip())) from None
        if not (spend.is_finite() and off.is_finite()) or spend <= 0 or off <= 0 or off > spend:
            raise InvalidRule("tiers", _("%(part)r: the saving must be above zero and at most the spend.",
                                         part=part.strip()))
        tiers.append([str(spend), str(off)])
    if not tiers:
        raise InvalidRule("tiers", _("required: one or more tiers as spend:saving, e.g. 100:20, 200:50."))
    tiers.sort(key=lambda tier: Decimal(tier[0]))
    if len({tier[0] for tier in tiers}) != len(tiers):
        raise InvalidRule("tiers", _("two tiers have the same spend."))
    return tiers


def _sessions(raw):
    """``"10:00-12:00, 20:00-22:00"`` (UTC) -> ``[["10:00", "12:00"], ...]``."""
    import re
    sessions = []
    for part in str(raw or "").split(","):
        if not part.strip():
            continue
        start, _sep, end = (piece.strip() for piece in part.partition("-"))
        if not (re.match(SESSION, start) and re.match(SESSION, end)) or not ("00:00" <= start < end <= "24:00") \
                or int(start[3:]) > 59 or int(end[3:]) > 59:
            raise InvalidRule("sessions", _("%(part)r: write each session as HH:MM-HH:MM with the end after the "
                                            "start, e.g. 10:00-12:00.", part=part.strip()))
        sessions.append([start, end if end != "24:00" else "23:59"])
    if not sessions:
        raise InvalidRule("sessions", _("required: one or more daily sessions, e.g. 10:00-12:00, 20:00-22:00."))
    return sorted(sessions)


def _sku_by_code(code, merchant_id, field):
    query = select(Sku).where(Sku.code == code)
    if merchant_id is not None:
        query = query.where(Sku.merchant_id == merchant_id)
    found = db.session.execute(query.order_by(Sku.id)).scalars().all()
    if len(found) != 1:
        raise InvalidRule(field, _("SKU %(code)s does not exist.", code=code) if not found else
                          _("SKU code %(code)s is used by several merchants; choose the rule's merchant.", code=code))
    return found[0]


def targets_of(scope, data, merchant_id):
    """The scope's target ids, each checked to exist (and, for a merchant's
    rule, to be that merchant's product or SKU)."""
    if scope == STORE:
        return [0]
    raw = data.get("targets") or ""
    if scope == SKU:
        codes = sorted({code for code in str(raw).replace(",", " ").split() if code})
        ids = [_sku_by_code(code, merchant_id, "targets").id for code in codes]
    else:
        ids = _ids(raw)
        model = {CATEGORY: Category, BRAND: Brand, PRODUCT: Product, MERCHANT: Merchant}[scope]
        query = select(model.id).where(model.id.in_(ids))
        if scope == PRODUCT and merchant_id is not None:
            query = query.where(Product.merchant_id == merchant_id)
        found = set(db.session.execute(query).scalars())
        missing = [i for i in ids if i not in found]
        if missing:
            raise InvalidRule("targets", _("%(ids)s: not found among the choices.", ids=", ".join(map(str, missing))))
    if scope == MERCHANT and merchant_id is not None:
        raise InvalidRule("scope", _("a merchant's rule already covers only its own store: choose whole store."))
    if not ids:
        raise InvalidRule("targets", _("choose at least one item the rule covers."))
    return sorted(set(ids))


def clean(data, merchant_id):
    """Every field of a rule from a form (strings), checked; a dict of column values."""
    kind = data.get("kind") if data.get("kind") in KINDS else None
    if kind is None:
        raise InvalidRule("kind", _("choose a rule type from the list."))
    scope = data.get("scope") if data.get("scope") in SCOPES else None
    if scope is None:
        raise InvalidRule("scope", _("choose a scope from the list."))
    funder = data.get("funder") if data.get("funder") in FUNDERS else None
    if funder is None:
        raise InvalidRule("funder", _("choose who funds the discount."))
    share = {"platform": Decimal(100), "merchant": Decimal(0)}.get(funder)
    if share is None:
        share = _percent(data, "platform_share")
    starts_at, ends_at = data.get("starts_at") or utcnow(), data.get("ends_at")
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidRule("ends_at", _("the end must come after the start."))
    values = {
        "name": _text(data, "name", 120, required=True), "kind": kind, "scope": scope, "funder": funder,
        "platform_share": share, "starts_at": starts_at, "ends_at": ends_at,
        "priority": _whole(data, "priority", minimum=-1000) or 0, "exclusive": bool(data.get("exclusive")),
        "combines_with": ",".join(map(str, _ids(data.get("combines_with")))),
        "min_spend": _amount(data, "min_spend"), "max_discount": _amount(data, "max_discount"),
        "budget": _amount(data, "budget"), "usage_limit": _whole(data, "usage_limit"),
        "per_customer_limit": _whole(data, "per_customer_limit"),
        "params_json": json.dumps(params_of(kind, data, merchant_id), sort_keys=True),
    }
    if kind == COUPON:
        values["shared_code"] = _coupon_code(data)
    values["targets"] = targets_of(scope, data, merchant_id)
    return values


def _coupon_code(data):
    from plugins.orders.services.placing import COUPON as CODE_FORMAT
    code = _text(data, "code", 40).upper()
    if code and not CODE_FORMAT.match(code):
        raise InvalidRule("code", _("up to 40 letters, digits, dashes or underscores."))
    return code


def _owner(actor, data):
    """The rule's merchant: the actor's own, or the one platform staff chose (None: the platform)."""
    if actor is not None and actor.merchant_id is not None:
        return actor.merchant_id
    raw = str(data.get("merchant_id") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or db.session.get(Merchant, int(raw)) is None:
        raise InvalidRule("merchant_id", _("choose a merchant from the list."))
    return int(raw)


def _reach(actor, rule, level="write"):
    if actor is not None and access.record_level(RULE, rule, actor) < access.level_value(level):
        raise access.AccessDenied(_("You need %(level)s access to promotion %(name)s.", level=_(level),
                                    name=rule.name))


def create_rule(actor, data):
    """A new rule from form fields (``starts_at``/``ends_at`` as UTC datetimes); audited."""
    if actor is not None:
        access.require(RULE, "write", actor)
    merchant_id = _owner(actor, data)
    if actor is not None and merchant_id is not None and \
            access.access(actor).data_level("merchant", merchant_id) < access.WRITE:
        raise InvalidRule("merchant_id", _("choose a merchant from the list."))
    if actor is not None and merchant_id is None and access.access(actor).data_level("merchant", None) < access.WRITE:
        raise InvalidRule("merchant_id", _("choose a merchant from the list."))
    values = clean(data, merchant_id)
    rule = Rule(merchant_id=merchant_id, created_by_id=getattr(actor, "id", None), status=ACTIVE)
    _apply(rule, values)
    db.session.add(rule)
    db.session.flush()
    record("promotions.create_rule", target=f"#{rule.id} {rule.name}", plugin="promotions", merchant_id=merchant_id,
           actor=actor, summary={"kind": rule.kind, "scope": rule.scope, "priority": rule.priority})
    return rule


def update_rule(actor, rule, data):
    """Change a rule's fields (its merchant stays); audited."""
    _reach(actor, rule)
    if rule.status == ENDED:
        raise StatusRefused(_("Promotion %(name)s has ended; copy it to run it again.", name=rule.name))
    values = clean(data, rule.merchant_id)
    _apply(rule, values)
    db.session.flush()
    record("promotions.update_rule", target=f"#{rule.id} {rule.name}", plugin="promotions",
           merchant_id=rule.merchant_id, actor=actor, summary={"kind": rule.kind, "priority": rule.priority})
    return rule


def _apply(rule, values):
    values = dict(values)
    targets, shared_code = values.pop("targets"), values.pop("shared_code", None)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.targets = [RuleTarget(kind=rule.scope, ref_id=ref_id) for ref_id in targets] if rule.scope != STORE \
        else [RuleTarget(kind=STORE, ref_id=0)]
    if shared_code is not None:
        _set_shared_code(rule, shared_code)


def _set_shared_code(rule, code):
    current = None
    if rule.id is not None:
        current = db.session.execute(select(CouponCode).where(
            CouponCode.rule_id == rule.id, CouponCode.batch == "")).scalar_one_or_none()
    if current is not None and current.code == code:
        return
    if code:
        taken = db.session.execute(select(CouponCode.id).where(CouponCode.code == code)).scalar()
        if taken is not None:
            raise InvalidRule("code", _("code %(code)s is already in use.", code=code))
    if current is not None:
        if current.used_count:
            raise InvalidRule("code", _("code %(code)s has been used; it cannot change.", code=current.code))
        db.session.delete(current)
        db.session.flush()
    if code:
        db.session.add(CouponCode(rule=rule, code=code, batch=""))


def _form_of(rule):
    """A rule's fields as the form shows them (for copying)."""
    params = rule.params
    data = {"name": rule.name, "kind": rule.kind, "scope": rule.scope, "funder": rule.funder,
            "platform_share": str(rule.platform_share), "priority": str(rule.priority),
            "exclusive": rule.exclusive, "combines_with": rule.combines_with,
            "targets": " ".join(str(i) for i in rule.target_ids)}
    for field in ("min_spend", "max_discount", "budget", "usage_limit", "per_customer_limit"):
        value = getattr(rule, field)
        data[field] = "" if value is None else str(value)
    data.update({key: str(value) for key, value in params.items() if key not in ("tiers", "sessions")})
    if rule.scope == SKU:
        data["targets"] = " ".join(db.session.execute(select(Sku.code).where(Sku.id.in_(rule.target_ids))).scalars())
    if "tiers" in params:
        data["tiers"] = ", ".join(f"{spend}:{off}" for spend, off in params["tiers"])
    if "sessions" in params:
        data["sessions"] = ", ".join(f"{start}-{end}" for start, end in params["sessions"])
    if "gift_sku_code" in params:
        data["gift_sku"] = params["gift_sku_code"]
    return data


def copy_rule(actor, rule):
    """A paused copy of ``rule`` (no codes, counters at zero) to adjust and start; audited."""
    _reach(actor, rule)
    copy = Rule(merchant_id=rule.merchant_id, created_by_id=getattr(actor, "id", None), status=PAUSED)
    values = clean({**_form_of(rule), "name": _("Copy of %(name)s", name=rule.name)[:120]}, rule.merchant_id)
    values.pop("shared_code", None)
    values["starts_at"], values["ends_at"] = utcnow(), None
    _apply(copy, values)
    db.session.add(copy)
    db.session.flush()
    record("promotions.copy_rule", target=f"#{copy.id} {copy.name}", plugin="promotions",
           merchant_id=copy.merchant_id, actor=actor, summary={"from": rule.id})
    return copy


STEPS = {"pause": ((ACTIVE,), PAUSED), "resume": ((PAUSED,), ACTIVE), "end": ((ACTIVE, PAUSED), ENDED)}


def change_status(actor, rule, step):
    """Pause, resume or end a rule; ending also closes its window now. Audited."""
    _reach(actor, rule)
    allowed, target = STEPS[step]
    if rule.status not in allowed:
        raise StatusRefused(_("Promotion %(name)s is %(status)s; it cannot be changed that way.", name=rule.name,
                              status=_(rule.status)))
    before = rule.status
    rule.status = target
    if target == ENDED:
        now = utcnow()
        rule.ends_at = min(rule.ends_at, now) if rule.ends_at else now
        if rule.starts_at > rule.ends_at:
            rule.starts_at = rule.ends_at
    db.session.flush()
    record(f"promotions.{step}_rule", target=f"#{rule.id} {rule.name}", plugin="promotions",
           merchant_id=rule.merchant_id, actor=actor, summary={"from": before, "to": target})
    return rule


def state_of(rule, now=None):
    """What staff see: scheduled, running, paused, expired or ended."""
    now = now or utcnow()
    if rule.status != ACTIVE:
        return rule.status
    if rule.starts_at > now:
        return "scheduled"
    if rule.ends_at is not None and rule.ends_at <= now:
        return "expired"
    return "running"
