"""The promotions' services: the engine (pure), pricing drafts, usage taken
and given back with orders, rules and coupons management, reports."""
from .engine import Cart, CartLine, Outcome, RuleView, evaluate
from .errors import InvalidRule, PromotionsError, RuleNotFound, StatusRefused
from .pricing import evaluate_draft, price_draft
from .rules import change_status, copy_rule, create_rule, state_of, update_rule
from .usage import UsageExhausted, record_order, release_order

__all__ = ["Cart", "CartLine", "Outcome", "RuleView", "evaluate", "InvalidRule", "PromotionsError",
           "RuleNotFound", "StatusRefused", "evaluate_draft", "price_draft", "change_status", "copy_rule",
           "create_rule", "state_of", "update_rule", "UsageExhausted", "record_order", "release_order"]
