"""The members' business rules, one module per concern: ``scope`` (who sees
which member), ``profiles``, ``linking`` (order events), ``points``,
``levels``, ``segments`` and ``rfm``."""


class MembersError(Exception):
    """A business failure the user can correct; the message says how."""
