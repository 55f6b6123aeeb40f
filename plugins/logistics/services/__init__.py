"""The logistics services: plain functions taking the acting user (None for
the system: events, the carrier webhook) that enforce the rules and never
commit; see each module:

- ``freight``: grouping lines by template and charging each group;
- ``charging``: the orders pricing extension point and the stored breakdown;
- ``templates``: creating, changing and deleting freight templates;
- ``carriers``: the carrier list and tracking number patterns;
- ``tracking``: tracking rows and events, delivery completing the order;
- ``webhook``: the carrier's signed, idempotent push;
- ``tracking_import``: tracking events from a CSV or XLSX file.
"""
from .errors import InvalidValue, LogisticsError, NotFound, TrackingRefused

__all__ = ["InvalidValue", "LogisticsError", "NotFound", "TrackingRefused"]
