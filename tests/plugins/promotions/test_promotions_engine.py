"""The engine on its own: each rule type, scope, stacking, caps, rounding and
the explanation of every rule that did not apply."""
from datetime import datetime
from decimal import Decimal

from plugins.promotions.services.engine import evaluate

from tests.plugins.promotions.engine_helpers import NOW, by_rule, cart, line, rule, verdict


def test_percentage_off_takes_the_share_of_every_line_in_scope():
    outcome = evaluate(cart(line(0, "50.00", 2), line(1, "19.99")), [rule(1, params={"percent": "10"})])
    assert by_rule(outcome) == {1: 1200}  # 10.00 + 2.00 (1.999 rounded down in total)
    assert outcome.discount() == Decimal("12.00")


def test_amount_off_is_spread_over_lines_and_the_shares_add_up_exactly():
    outcome = evaluate(cart(line(0, "10.00"), line(1, "10.00"), line(2, "10.00")),
                       [rule(1, "amount", params={"amount": "10"})])
    shares = dict(outcome.applied[0].shares)
    assert sum(shares.values()) == 1000
    assert sorted(shares.values()) == [333, 333, 334]
    assert shares[0] == 334  # the tie goes to the first line: the same cart always gives the same split


def test_spend_tiers_give_the_highest_tier_reached():
    tiers = {"tiers": [["100", "20"], ["200", "50"]]}
    assert by_rule(evaluate(cart(line(0, "99.99")), [rule(1, "tiers", params=tiers)])) == {}
    assert by_rule(evaluate(cart(line(0, "150")), [rule(1, "tiers", params=tiers)])) == {1: 2000}
    assert by_rule(evaluate(cart(line(0, "250")), [rule(1, "tiers", params=tiers)])) == {1: 5000}
    v = verdict(evaluate(cart(line(0, "80")), [rule(1, "tiers", params=tiers)]), 1)
    assert v.code == "below_threshold" and v.args == {"needed": "100.00", "spent": "80.00"}


def test_n_items_discount_full_groups_cheapest_units_first():
    outcome = evaluate(cart(line(0, "30", 2), line(1, "10", 2)), [rule(1, "n_items", params={"n": 3, "percent": "50"})])
    # one group of three: the two 10.00 units and one 30.00 unit, half off
    assert by_rule(outcome) == {1: 2500}
    assert verdict(evaluate(cart(line(0, "30", 2)), [rule(1, "n_items", params={"n": 3, "percent": "50"})]),
                   1).code == "not_enough_items"


def test_buy_two_get_one_free_makes_the_cheapest_unit_free():
    outcome = evaluate(cart(line(0, "30", 2), line(1, "12")), [rule(1, "buy_get", params={"buy": 2, "get": 1})])
    assert by_rule(outcome) == {1: 1200}
    assert dict(outcome.applied[0].shares) == {1: 1200}


def test_buy_x_get_a_gift_sku_discounts_the_gift_when_in_the_cart():
    gift = {"buy": 2, "get": 1, "gift_sku_id": 999, "gift_sku_code": "GIFT"}
    with_gift = evaluate(cart(line(0, "40", 2), line(1, "8", 3, sku=999)), [rule(1, "buy_get", params=gift)])
    assert dict(with_gift.applied[0].shares) == {1: 800}
    without = evaluate(cart(line(0, "40", 2)), [rule(1, "buy_get", params=gift)])
    assert verdict(without, 1).code == "gift_missing" and verdict(without, 1).args == {"sku": "GIFT"}


def test_flash_sale_prices_units_in_session_up_to_the_customer_limit():
    flash = rule(1, "flash", params={"price": "5", "sessions": [["10:00", "14:00"]]}, per_customer_limit=3,
                 customer_used=1)
    outcome = evaluate(cart(line(0, "8", 5), customer="C1"), [flash])
    assert by_rule(outcome) == {1: 600}  # two units left for this customer, 3.00 off each
    assert outcome.applied[0].units == 2
    late = evaluate(cart(line(0, "8", 5), customer="C1", now=datetime(2026, 6, 1, 15, 0)), [flash])
    assert verdict(late, 1).code == "out_of_session"
    anonymous = evaluate(cart(line(0, "8", 5)), [flash])
    assert verdict(anonymous, 1).code == "needs_customer"


def test_coupon_needs_its_code_and_a_code_not_used_up():
    coupon = rule(1, "coupon", params={"benefit": "amount", "amount": "15"}, min_spend="50",
                  coupon=("SAVE15", 7, ""))
    assert by_rule(evaluate(cart(line(0, "60")), [coupon])) == {1: 1500}
    assert verdict(evaluate(cart(line(0, "40")), [coupon]), 1).code == "below_threshold"
    assert verdict(evaluate(cart(line(0, "60")), [rule(1, "coupon")]), 1).code == "needs_code"
    used_up = rule(1, "coupon", coupon=("ONE", 8, "code_used_up"))
    assert verdict(evaluate(cart(line(0, "60")), [used_up]), 1).code == "code_used_up"


def test_scope_by_category_with_children_brand_product_sku_and_merchant():
    lines = [line(0, "10", categories=(1, 5)), line(1, "20", brand=7), line(2, "30", product=300),
             line(3, "40", sku=400)]
    for scope, targets, expected in [("category", {1}, {0}), ("brand", {7}, {1}), ("product", {300}, {2}),
                                     ("sku", {400}, {3}), ("merchant", {1}, {0, 1, 2, 3})]:
        outcome = evaluate(cart(*lines), [rule(1, scope=scope, targets=targets)])
        assert {index for index, _s in outcome.applied[0].shares} == expected, scope
    outside = evaluate(cart(*lines), [rule(1, scope="category", targets={9})])
    assert verdict(outside, 1).code == "out_of_scope"
    other = evaluate(cart(*lines), [rule(1, merchant_id=2)])
    assert verdict(other, 1).code == "out_of_scope"


def test_exclusive_rule_of_higher_priority_beats_combinable_ones():
    rules = [rule(1, params={"percent": "10"}, priority=1), rule(2, params={"percent": "20"}, priority=5,
                                                                   exclusive=True)]
    outcome = evaluate(cart(line(0, "100")), rules)
    assert by_rule(outcome) == {2: 2000}
    assert verdict(outcome, 1).code == "excluded_by" and verdict(outcome, 1).args == {"rules": "Rule 2"}


def test_combinable_rule_of_higher_priority_keeps_an_exclusive_one_out():
    rules = [rule(1, params={"percent": "10"}, priority=5), rule(2, params={"percent": "20"}, priority=1,
                                                                   exclusive=True)]
    outcome = evaluate(cart(line(0, "100")), rules)
    assert by_rule(outcome) == {1: 1000}
    assert verdict(outcome, 2).code == "excluded_by"


def test_combinable_rules_stack_each_on_what_the_other_left():
    outcome = evaluate(cart(line(0, "100")), [rule(1, params={"percent": "10"}, priority=2),
                                              rule(2, "amount", params={"amount": "10"}, priority=1)])
    assert by_rule(outcome) == {1: 1000, 2: 1000}
    assert [a.rule.id for a in outcome.applied] == [1, 2]


def test_an_exclusive_rule_combines_with_the_rules_it_names():
    rules = [rule(1, params={"percent": "10"}, priority=5, exclusive=True, combines_with={3}),
             rule(2, params={"percent": "10"}, priority=3), rule(3, "amount", params={"amount": "5"}, priority=1)]
    outcome = evaluate(cart(line(0, "100")), rules)
    assert by_rule(outcome) == {1: 1000, 3: 500}
    assert verdict(outcome, 2).code == "excluded_by"


def test_a_rule_naming_partners_combines_with_those_only():
    rules = [rule(1, params={"percent": "10"}, priority=5, combines_with={2}),
             rule(2, params={"percent": "10"}, priority=3), rule(3, params={"percent": "10"}, priority=1)]
    outcome = evaluate(cart(line(0, "100")), rules)
    assert set(by_rule(outcome)) == {1, 2}
    assert verdict(outcome, 3).code == "excluded_by"


def test_per_order_maximum_and_budget_cap_the_discount():
    assert by_rule(evaluate(cart(line(0, "1000")), [rule(1, params={"percent": "10"}, max_discount="25")])) == \
        {1: 2500}
    assert by_rule(evaluate(cart(line(0, "1000")), [rule(1, params={"percent": "10"}, budget_left="7.35")])) == \
        {1: 735}
    assert verdict(evaluate(cart(line(0, "10")), [rule(1, budget_left="0")]), 1).code == "budget_exhausted"
    assert verdict(evaluate(cart(line(0, "10")), [rule(1, uses_left=0)]), 1).code == "uses_exhausted"
    used = rule(1, per_customer_limit=1, customer_used=1)
    assert verdict(evaluate(cart(line(0, "10"), customer="C"), [used]), 1).code == "customer_limit"


def test_discounts_never_take_a_line_below_zero():
    outcome = evaluate(cart(line(0, "10"), line(1, "5")),
                       [rule(1, "amount", params={"amount": "100"}, priority=2),
                        rule(2, params={"percent": "50"}, priority=1)])
    assert by_rule(outcome) == {1: 1500}
    assert verdict(outcome, 2).code == "nothing_left"


def test_rules_not_live_say_why():
    rules = [rule(1, status="paused"), rule(2, starts_at=datetime(2026, 7, 1)),
             rule(3, ends_at=datetime(2026, 5, 1)), rule(4, status="ended")]
    outcome = evaluate(cart(line(0, "10")), rules)
    assert [verdict(outcome, i).code for i in (1, 2, 3, 4)] == ["paused", "not_started", "over", "ended"]


def test_a_currency_without_minor_unit_rounds_to_whole_units():
    outcome = evaluate(cart(line(0, "1000"), line(1, "999"), minor=0), [rule(1, params={"percent": "15"})])
    assert outcome.discount() == Decimal("300")  # 299.85 half up
    assert sum(units for _i, units in outcome.applied[0].shares) == 300


def test_the_same_cart_and_rules_in_any_order_give_the_same_result():
    rules = [rule(i, ["percent", "amount", "tiers"][i % 3], priority=i % 2) for i in range(1, 7)]
    lines = (line(0, "80", 2), line(1, "33.33", 3))
    first = evaluate(cart(*lines), rules)
    second = evaluate(cart(*lines), list(reversed(rules)))
    assert [(a.rule.id, a.shares) for a in first.applied] == [(a.rule.id, a.shares) for a in second.applied]
    assert NOW.hour == 12
