"""The logistics plugin's business errors: each names the field, row or
record at fault and what to do; the operation that raised it wrote nothing."""
from flask_babel import gettext as _


class LogisticsError(Exception):
    """Base of the logistics plugin's business errors."""


class InvalidValue(LogisticsError):
    """A form or file value that is missing or wrong; ``field`` names it."""

    def __init__(self, field, problem):
        self.field, self.problem = field, problem
        super().__init__(_("%(field)s: %(problem)s", field=field, problem=problem))


class NotFound(LogisticsError):
    """A record that does not exist for the acting user (outside the data scope)."""

    def __init__(self, what, ident):
        self.what, self.ident = what, ident
        super().__init__(_("%(what)s %(ident)s does not exist.", what=what, ident=ident))


class TrackingRefused(LogisticsError):
    """A tracking number its carrier cannot have."""

    def __init__(self, carrier, number, pattern):
        self.carrier, self.number, self.pattern = carrier, number, pattern
        super().__init__(_("Tracking number %(number)r does not look like a %(carrier)s number (pattern "
                           "%(pattern)s); check it.", number=number, carrier=carrier, pattern=pattern))
