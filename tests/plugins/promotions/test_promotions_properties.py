"""Property tests over random carts and rules: the engine is deterministic,
never takes a line or the total below zero, respects every cap, combines
only compatible rules, and its rounding adds up exactly."""
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.promotions.services.engine import compatible, evaluate, to_units

from tests.plugins.promotions.engine_helpers import cart, line, rule

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
lines_st = st.lists(st.tuples(prices, st.integers(1, 6), st.sampled_from([1, 2, 3]), st.sampled_from([7, 8, None])),
                    min_size=1, max_size=8)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)


@st.composite
def rules_st(draw):
    count = draw(st.integers(0, 7))
    result = []
    for rule_id in range(1, count + 1):
        kind = draw(st.sampled_from(["percent", "amount", "tiers", "n_items", "buy_get", "flash", "coupon"]))
        params = {
            "percent": lambda: {"percent": str(draw(st.integers(1, 100)))},
            "amount": lambda: {"amount": str(draw(amounts))},
            "tiers": lambda: {"tiers": sorted([[str(s), str(min(o, s))] for s, o in
                                               draw(st.lists(st.tuples(amounts, amounts), min_size=1, max_size=3))],
                                              key=lambda t: Decimal(t[0]))},
            "n_items": lambda: {"n": draw(st.integers(2, 4)), "percent": str(draw(st.integers(1, 100)))},
            "buy_get": lambda: {"buy": draw(st.integers(1, 3)), "get": draw(st.integers(1, 2))},
            "flash": lambda: {"price": str(draw(amounts)), "sessions": [["00:00", "23:59"]]},
            "coupon": lambda: {"benefit": "amount", "amount": str(draw(amounts))},
        }[kind]()
        scope = draw(st.sampled_from(["store", "category", "brand"]))
        targets = {"store": set(), "category": {draw(st.sampled_from([1, 2, 3]))},
                   "brand": {draw(st.sampled_from([7, 8]))}}[scope]
        result.append(rule(
            rule_id, kind, params=params, scope=scope, targets=targets, priority=draw(st.integers(0, 3)),
            exclusive=draw(st.booleans()),
            combines_with=set(draw(st.lists(st.integers(1, count), max_size=2))),
            max_discount=draw(st.none() | amounts), budget_left=draw(st.none() | amounts),
            min_spend=draw(st.none() | amounts), coupon=("CODE", rule_id, "") if kind == "coupon" else None))
    return result


def build(lines):
    return cart(*[line(i, price, qty, categories=(category,), brand=brand)
                  for i, (price, qty, category, brand) in enumerate(lines)])


@settings(max_examples=300, deadline=None)
@given(lines_st, rules_st(), st.randoms(use_true_random=False))
def test_engine_invariants(lines, rules, rng):
    the_cart = build(lines)
    outcome = evaluate(the_cart, rules)

    shuffled = list(rules)
    rng.shuffle(shuffled)
    again = evaluate(the_cart, shuffled)
    assert [(a.rule.id, a.shares) for a in outcome.applied] == [(a.rule.id, a.shares) for a in again.applied]

    assert sorted(v.rule_id for v in outcome.verdicts) == sorted(r.id for r in rules)
    taken = {l.index: 0 for l in the_cart.lines}
    for applied in outcome.applied:
        total = applied.total_units()
        assert total > 0 and all(isinstance(units, int) and units > 0 for _i, units in applied.shares)
        rule_ = applied.rule
        if rule_.max_discount is not None:
            assert total <= to_units(rule_.max_discount, 2)
        if rule_.budget_left is not None:
            assert total <= to_units(rule_.budget_left, 2)
        verdict = next(v for v in outcome.verdicts if v.rule_id == rule_.id)
        assert verdict.applied and verdict.minor_units == total
        for index, units in applied.shares:
            taken[index] += units
    for l in the_cart.lines:
        assert taken[l.index] <= to_units(l.amount, 2), "a line went below zero"
    subtotal = sum(to_units(l.amount, 2) for l in the_cart.lines)
    assert sum(taken.values()) <= subtotal
    assert outcome.discount() == Decimal(sum(taken.values())) / 100
    applied_rules = [a.rule for a in outcome.applied]
    for i, a in enumerate(applied_rules):
        for b in applied_rules[i + 1:]:
            assert compatible(a, b)


@settings(max_examples=200, deadline=None)
@given(st.lists(prices, min_size=1, max_size=20), st.integers(1, 99))
def test_rounding_spreads_a_percentage_exactly_over_lines(line_prices, percent):
    the_cart = build([(price, 1, 1, None) for price in line_prices])
    outcome = evaluate(the_cart, [rule(1, params={"percent": str(percent)})])
    subtotal = sum(to_units(l.amount, 2) for l in the_cart.lines)
    expected = int(subtotal * percent / 100 + Fraction(1, 2))  # half up
    got = sum(a.total_units() for a in outcome.applied)
    assert got == expected
    raw = {line.index: to_units(line.amount, 2) * percent / 100 for line in the_cart.lines}
    shares = dict(outcome.applied[0].shares) if outcome.applied else {}
    for index, exact in raw.items():
        # each line holds its proportional part of the rounded total, less than a cent away
        assert abs(shares.get(index, 0) - got * exact / sum(raw.values())) < 1

