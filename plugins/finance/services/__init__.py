"""The finance services: plain functions taking the acting user (None for
the system) and the records, never the request."""
from .core import RECONCILIATION, FinanceError, NotFound  # noqa: F401
from .flags import check_unreceived, raise_flag, set_status  # noqa: F401
from .importing import ImportRefused, ImportResult, import_file  # noqa: F401
from .matching import auto_match, match_by_hand, unmatch  # noqa: F401
from .receivables import on_order_event, sync_order  # noqa: F401
