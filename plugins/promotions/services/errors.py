"""The promotions' business failures, each naming what is wrong."""


class PromotionsError(Exception):
    """A refused promotions operation; the message is for the user."""


class InvalidRule(PromotionsError):
    """A field of a rule is wrong: ``field`` and ``problem``."""

    def __init__(self, field, problem):
        self.field, self.problem = field, str(problem)
        super().__init__(f"{field}: {problem}")


class RuleNotFound(PromotionsError):
    """No such rule in the user's reach."""


class StatusRefused(PromotionsError):
    """The rule's status does not allow the step (an ended rule cannot resume)."""
