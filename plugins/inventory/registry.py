"""What the inventory declares at start-up: permissions (with the levels the
built-in roles get), the ``warehouse`` data scope, its setting and its job."""
from datetime import timedelta

from portal.access import ALL, DataScope, FINANCE, MERCHANT_ADMIN, MERCHANT_STAFF, PLATFORM_OPERATOR, Resource
from portal.i18n import N_
from portal.jobs import Job
from portal.settings import SettingSpec

RESOURCES = [
    Resource("inventory.stock", N_("Stock"),
             N_("See stock, the stock ledger and reservations; limited to the user's merchants and warehouses."),
             defaults={PLATFORM_OPERATOR: "read", FINANCE: "read", MERCHANT_ADMIN: "read", MERCHANT_STAFF: "read"}),
    Resource("inventory.adjust", N_("Stock changes"),
             N_("Receive goods, count stock, transfer, return and move stock between states."),
             defaults={PLATFORM_OPERATOR: "write", MERCHANT_ADMIN: "manage", MERCHANT_STAFF: "write"}),
    Resource("inventory.warehouse", N_("Warehouses"),
             N_("Warehouses, their addresses, regions and priority."),
             defaults={PLATFORM_OPERATOR: "manage", MERCHANT_ADMIN: "manage", MERCHANT_STAFF: "read"}),
]


def _warehouse_choices():
    """The warehouses the signed-in user reaches (every one outside a request);
    "all warehouses" is offered to platform staff only, so a merchant's
    grant editor never lists another merchant's warehouses."""
    from flask import has_request_context
    from flask_login import current_user
    from sqlalchemy import select

    from portal.access import scoped
    from portal.extensions import db

    from .models import Warehouse
    query = select(Warehouse).order_by(Warehouse.code)
    merchant_staff = False
    if has_request_context() and current_user.is_authenticated:
        query = scoped(query, Warehouse, "read")
        merchant_staff = current_user.merchant_id is not None
    rows = [(str(w.id), str(w)) for w in db.session.execute(query).scalars()]
    return rows if merchant_staff else [(ALL, N_("All warehouses"))] + rows


# Every built-in role reaches every warehouse: merchant roles stay fenced to
# their own merchant by the merchant scope every warehouse-scoped table carries.
SCOPES = [DataScope("warehouse", N_("Warehouse"), _warehouse_choices, "warehouse_id",
                    defaults={PLATFORM_OPERATOR: (ALL, "write"), FINANCE: (ALL, "read"),
                              MERCHANT_ADMIN: (ALL, "manage"), MERCHANT_STAFF: (ALL, "write")})]

SETTINGS = [
    SettingSpec("inventory.lock_minutes", N_("Minutes a reservation for an unpaid order holds stock"), "int", 30,
                N_("After this time a live reservation expires and its stock is sellable again."),
                minimum=1, maximum=60 * 24 * 30),
]


def _expire_locks():
    from .services.locks import expire_locks
    return expire_locks()


JOBS = [
    Job("inventory.expire_locks", timedelta(minutes=1), _expire_locks,
        N_("Releases reservations whose time has passed, so their stock can be sold again.")),
]
