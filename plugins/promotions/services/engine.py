"""The promotion engine: plain Python over a cart and rule snapshots, no
database, so the same cart and rules always give the same result.

Rules are tried by priority (highest first, then by id). A rule applies when
its scope covers a line of the cart, it is live (and in a flash session), its
coupon code was presented, the customer and usage caps leave room, it can be
combined with every rule already applied, and its condition is met (minimum
spend, tier, item count). Each rule discounts what earlier rules left of the
lines, so no line, and no total, goes below zero.

Amounts are counted in the currency's minor unit (whole cents). A rule's
discount is capped (per order maximum, budget left), rounded down to the
minor unit, and spread over its lines by the largest-remainder method, so
the line shares add up to the rule's discount exactly.
"""
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from fractions import Fraction

from ..models import ACTIVE, AMOUNT, BUY_GET, COUPON, FLASH, N_ITEMS, PERCENT, STORE, TIERS
from .scope import in_scope


@dataclass(frozen=True)
class CartLine:
    """A draft line with what scopes look at; ``amount`` is the rounded line total."""

    index: int
    sku_id: int
    product_id: int
    category_ids: frozenset
    brand_id: int
    merchant_id: int
    qty: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Cart:
    """A merchant's part of a checkout as the engine sees it."""

    merchant_id: int
    currency: str
    minor: int  # digits of the currency's minor unit
    lines: tuple
    now: object  # naive UTC datetime
    customer_ref: str = ""
    coupon_codes: frozenset = frozenset()
    channel: str = ""  # with customer_ref, who the buyer is (codes issued to one customer check it)


@dataclass(frozen=True, eq=False)
class RuleView:
    """A rule as the engine needs it, with the counters read for this cart.
    ``coupon`` is ``(code, code_id, problem)`` of the presented code that
    unlocks it (problem: ``""`` or a reason code), None when none was."""

    id: int
    name: str
    kind: str
    params: dict
    scope: str = STORE
    targets: frozenset = frozenset()
    merchant_id: int = None
    status: str = ACTIVE
    starts_at: object = None
    ends_at: object = None
    priority: int = 0
    exclusive: bool = False
    combines_with: frozenset = frozenset()
    funder: str = "merchant"
    platform_share: Decimal = Decimal(0)
    min_spend: Decimal = None
    max_discount: Decimal = None
    budget_left: Decimal = None
    uses_left: int = None
    per_customer_limit: int = None
    customer_used: int = 0
    coupon: tuple = None


@dataclass(frozen=True)
class Applied:
    """A rule that gave a discount: ``shares`` ``((line index, minor units), ...)``
    in line order, ``units`` counted against its per-customer cap."""

    rule: RuleView
    sequence: int
    shares: tuple
    units: int = 0

    def total_units(self):
        return sum(units for _index, units in self.shares)


@dataclass(frozen=True)
class Verdict:
    """Why a rule applied or not: ``code`` and its ``args`` (see ``explain``)."""

    rule_id: int
    name: str
    kind: str
    applied: bool
    code: str
    args: dict = field(default_factory=dict)
    sequence: int = None
    minor_units: int = 0  # the discount, in minor units (positive)


@dataclass(frozen=True)
class Outcome:
    """What the engine decided for a cart."""

    cart: Cart
    applied: tuple
    verdicts: tuple

    def discount(self):
        """The total discount as a positive ``Decimal``."""
        return to_money(sum(a.total_units() for a in self.applied), self.cart.minor)


class NotApplied(Exception):
    """A rule does not apply: the verdict's code and arguments."""

    def __init__(self, reason, /, **details):
        super().__init__(reason)
        self.code, self.details = reason, details


def to_units(amount, minor):
    """An amount as a Fraction of minor units."""
    return Fraction(Decimal(amount).scaleb(minor))


def to_money(units, minor):
    """Whole minor units as a Decimal amount."""
    return Decimal(int(units)).scaleb(-minor)


def evaluate(cart, rules):
    """Apply ``rules`` to ``cart`` by priority; an ``Outcome`` with a verdict for every rule."""
    remaining = {line.index: int(to_units(line.amount, cart.minor)) for line in cart.lines}
    applied, verdicts = [], []
    for rule in sorted(rules, key=lambda r: (-r.priority, r.id)):
        try:
            lines = _admissible(rule, cart, applied)
            raw, units = benefit(rule, cart, lines, remaining)
            shares = settle(rule, raw, remaining, cart.minor)
        except NotApplied as refusal:
            verdicts.append(Verdict(rule.id, rule.name, rule.kind, False, refusal.code, _text_args(refusal.details)))
            continue
        for index, share in shares:
            remaining[index] -= share
        done = Applied(rule, len(applied) + 1, shares, units)
        applied.append(done)
        verdicts.append(Verdict(rule.id, rule.name, rule.kind, True, "applied", {}, done.sequence,
                                done.total_units()))
    return Outcome(cart, tuple(applied), tuple(verdicts))


def _text_args(args):
    return {key: str(value) for key, value in args.items()}


def _admissible(rule, cart, applied):
    """The rule's lines when nothing but its own condition can stop it; ``NotApplied`` otherwise."""
    if rule.merchant_id is not None and rule.merchant_id != cart.merchant_id:
        raise NotApplied("out_of_scope")
    lines = [line for line in cart.lines if in_scope(rule.scope, rule.targets, line)]
    if not lines:
        raise NotApplied("out_of_scope")
    _check_live(rule, cart.now)
    _check_coupon(rule)
    _check_caps(rule, cart)
    conflicts = [a.rule.name for a in applied if not compatible(rule, a.rule)]
    if conflicts:
        raise NotApplied("excluded_by", rules=", ".join(conflicts))
    return lines


def compatible(a, b):
    """May ``a`` and ``b`` apply to the same order? Either naming the other
    allows it; otherwise both must be combinable and name no partners."""
    if b.id in a.combines_with or a.id in b.combines_with:
        return True
    return not (a.exclusive or b.exclusive or a.combines_with or b.combines_with)


def _check_live(rule, now):
    if rule.status != ACTIVE:
        raise NotApplied(rule.status)
    if rule.starts_at is not None and now < rule.starts_at:
        raise NotApplied("not_started", starts_at=rule.starts_at.strftime("%Y-%m-%d %H:%M"))
    if rule.ends_at is not None and now >= rule.ends_at:
        raise NotApplied("over", ends_at=rule.ends_at.strftime("%Y-%m-%d %H:%M"))
    if rule.kind == FLASH and not in_session(rule.params.get("sessions", []), now.time()):
        raise NotApplied("out_of_session", sessions=", ".join("-".join(s) for s in rule.params.get("sessions", [])))


def in_session(sessions, moment):
    """Is ``moment`` (a UTC ``time``) inside one of the ``[["HH:MM", "HH:MM"], ...]`` sessions?"""
    for start, end in sessions:
        if time.fromisoformat(start) <= moment < time.fromisoformat(end):
            return True
    return False


def _check_coupon(rule):
    if rule.kind != COUPON:
        return
    if rule.coupon is None:
        raise NotApplied("needs_code")
    code, _code_id, problem = rule.coupon
    if problem:
        raise NotApplied(problem, code=code)


def _check_caps(rule, cart):
    if rule.uses_left is not None and rule.uses_left <= 0:
        raise NotApplied("uses_exhausted")
    if rule.budget_left is not None and rule.budget_left <= 0:
        raise NotApplied("budget_exhausted")
    if rule.per_customer_limit is not None:
        if not cart.customer_ref:
            raise NotApplied("needs_customer")
        if rule.customer_used >= rule.per_customer_limit:
            raise NotApplied("customer_limit", limit=rule.per_customer_limit)


# -- what each kind gives ----------------------------------------------------------------

def benefit(rule, cart, lines, remaining):
    """``({line index: raw discount in minor units}, units for the customer cap)``."""
    base = sum(remaining[line.index] for line in lines)
    if rule.min_spend is not None and base < to_units(rule.min_spend, cart.minor):
        raise NotApplied("below_threshold", needed=rule.min_spend, spent=to_money(base, cart.minor))
    return KINDS[rule.kind](rule, cart, lines, remaining, base)


def _percent(rule, cart, lines, remaining, base):
    rate = Fraction(Decimal(rule.params["percent"])) / 100
    return {line.index: remaining[line.index] * rate for line in lines}, 1


def _spread(off, lines, remaining, base):
    """``off`` minor units over ``lines`` in proportion to what is left of them."""
    off = min(off, base)
    if base <= 0:
        return {}
    return {line.index: off * Fraction(remaining[line.index], base) for line in lines}


def _amount(rule, cart, lines, remaining, base):
    return _spread(to_units(rule.params["amount"], cart.minor), lines, remaining, base), 1


def _tiers(rule, cart, lines, remaining, base):
    tiers = sorted((to_units(spend, cart.minor), to_units(off, cart.minor)) for spend, off in rule.params["tiers"])
    reached = [off for spend, off in tiers if base >= spend]
    if not reached:
        raise NotApplied("below_threshold", needed=to_money(tiers[0][0], cart.minor),
                         spent=to_money(base, cart.minor))
    return _spread(reached[-1], lines, remaining, base), 1


def _unit_prices(lines, remaining):
    """Every unit of ``lines`` as ``(price left, line index)``, cheapest first."""
    units = []
    for line in lines:
        units.extend([(Fraction(remaining[line.index], line.qty), line.index)] * line.qty)
    return sorted(units)


def _cheapest(units, count, rate=Fraction(1)):
    raw = {}
    for price, index in units[:count]:
        raw[index] = raw.get(index, 0) + price * rate
    return raw


def _n_items(rule, cart, lines, remaining, base):
    n = int(rule.params["n"])
    qty = sum(line.qty for line in lines)
    if qty < n:
        raise NotApplied("not_enough_items", needed=n, have=qty)
    rate = Fraction(Decimal(rule.params["percent"])) / 100
    return _cheapest(_unit_prices(lines, remaining), (qty // n) * n, rate), 1


def _buy_get(rule, cart, lines, remaining, base):
    buy, get, gift = int(rule.params["buy"]), int(rule.params["get"]), rule.params.get("gift_sku_id")
    if gift:
        bought = [line for line in lines if line.sku_id != gift]
        qty = sum(line.qty for line in bought)
        if qty < buy:
            raise NotApplied("not_enough_items", needed=buy, have=qty)
        gift_lines = [line for line in cart.lines if line.sku_id == gift]
        if not gift_lines:
            raise NotApplied("gift_missing", sku=rule.params.get("gift_sku_code", gift))
        return _cheapest(_unit_prices(gift_lines, remaining), (qty // buy) * get), 1
    qty = sum(line.qty for line in lines)
    if qty < buy + get:
        raise NotApplied("not_enough_items", needed=buy + get, have=qty)
    return _cheapest(_unit_prices(lines, remaining), (qty // (buy + get)) * get), 1


def _flash(rule, cart, lines, remaining, base):
    price = to_units(rule.params["price"], cart.minor)
    room = None
    if rule.per_customer_limit is not None:
        room = rule.per_customer_limit - rule.customer_used
    raw, units = {}, 0
    for line in lines:
        take = line.qty if room is None else min(line.qty, room - units)
        if take <= 0:
            break
        cut = Fraction(remaining[line.index], line.qty) - price
        if cut > 0:
            raw[line.index] = cut * take
            units += take
    return raw, units


def _coupon(rule, cart, lines, remaining, base):
    if rule.params.get("benefit") == PERCENT:
        return _percent(rule, cart, lines, remaining, base)
    return _spread(to_units(rule.params["amount"], cart.minor), lines, remaining, base), 1


KINDS = {PERCENT: _percent, AMOUNT: _amount, TIERS: _tiers, N_ITEMS: _n_items, BUY_GET: _buy_get, FLASH: _flash,
         COUPON: _coupon}


# -- caps and rounding ------------------------------------------------------------------

def settle(rule, raw, remaining, minor):
    """The rule's discount per line in whole minor units: raw amounts capped by
    what is left of each line, rounded half up in total, capped by the
    per-order maximum and the budget left (rounded down: a cap is never
    passed), then spread by largest remainder within what each line has left."""
    raw = {index: min(max(amount, Fraction(0)), remaining[index]) for index, amount in sorted(raw.items())}
    total_raw = sum(raw.values(), Fraction(0))
    total = int(total_raw + Fraction(1, 2))  # half up
    if rule.max_discount is not None:
        total = min(total, int(to_units(rule.max_discount, minor)))
    if rule.budget_left is not None:
        total = min(total, int(to_units(rule.budget_left, minor)))
    if total <= 0:
        if raw and not any(remaining[index] for index in raw):
            raise NotApplied("nothing_left")
        raise NotApplied("no_benefit" if total_raw == 0 else "too_small")
    exact = {index: total * amount / total_raw for index, amount in raw.items()}
    shares = {index: min(int(value), remaining[index]) for index, value in exact.items()}
    left = total - sum(shares.values())
    by_remainder = sorted(exact, key=lambda index: (-(exact[index] - shares[index]), index))
    while left > 0:  # total never passes what the lines have left, so this ends
        for index in by_remainder:
            if left and shares[index] < remaining[index]:
                shares[index] += 1
                left -= 1
    return tuple((index, share) for index, share in sorted(shares.items()) if share)
