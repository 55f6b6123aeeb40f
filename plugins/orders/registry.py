"""What the orders plugin declares at start-up: permissions (with the levels
the built-in roles get), its timer settings and its jobs."""
from datetime import timedelta

from flask_babel import gettext as _

from portal.access import FINANCE, MERCHANT_ADMIN, MERCHANT_STAFF, PLATFORM_OPERATOR, Resource
from portal.i18n import N_
from portal.jobs import Job
from portal.settings import SettingSpec

RESOURCES = [
    Resource("orders.order", N_("Orders"),
             N_("Place orders, record payments, ship, cancel and close them; limited to the user's merchants."),
             defaults={PLATFORM_OPERATOR: "write", FINANCE: "read", MERCHANT_ADMIN: "manage",
                       MERCHANT_STAFF: "write"}),
    Resource("orders.refund", N_("Refunds and after-sales"),
             N_("Cancel paid orders (refunding them) and settle after-sales cases."),
             defaults={PLATFORM_OPERATOR: "write", FINANCE: "manage", MERCHANT_ADMIN: "manage",
                       MERCHANT_STAFF: "read"}),
    Resource("orders.invoice", N_("Invoices"),
             N_("Issue and print invoices and credit notes for merchant orders."),
             defaults={PLATFORM_OPERATOR: "read", FINANCE: "manage", MERCHANT_ADMIN: "manage",
                       MERCHANT_STAFF: "read"}),
]

SETTINGS = [
    SettingSpec("orders.unpaid_cancel_minutes", N_("Minutes an unpaid order waits before it is cancelled"),
                "int", 30, N_("An order not paid within this time is cancelled and its stock released."),
                minimum=1, maximum=60 * 24 * 30),
    SettingSpec("orders.auto_complete_days", N_("Days after shipment an order completes by itself"),
                "int", 15, N_("A shipped order the buyer has not confirmed is completed after this many days."),
                minimum=1, maximum=365),
    SettingSpec("orders.after_sales_days", N_("Days the after-sales window stays open"), "int", 7,
                N_("After completion the buyer may ask for after-sales service for this many days; "
                   "then the order is closed."), minimum=0, maximum=365),
    SettingSpec("orders.payment_webhook_secret", N_("Payment notification secret"), "str", "",
                N_("The secret shared with the payment provider: notifications to /orders/api/v1/payments/notify "
                   "must carry its HMAC-SHA256 signature. Empty: the endpoint refuses every notification."),
                clean=lambda value: _webhook_secret(value), secret=True),
]


def _webhook_secret(value):
    # a short secret can be guessed from a few signed notifications
    value = value.strip()
    if value and len(value) < 16:
        raise ValueError(_("use at least 16 characters (or leave it empty to refuse notifications)."))
    return value


def _cancel_unpaid():
    from .services.timers import cancel_unpaid
    return cancel_unpaid()


def _complete_shipped():
    from .services.timers import complete_shipped
    return complete_shipped()


def _close_after_sales():
    from .services.timers import close_after_sales
    return close_after_sales()


JOBS = [
    Job("orders.cancel_unpaid", timedelta(minutes=1), _cancel_unpaid,
        N_("Cancels orders not paid in time and releases their stock.")),
    Job("orders.complete_shipped", timedelta(hours=1), _complete_shipped,
        N_("Completes shipped orders the buyer has not confirmed after the set number of days.")),
    Job("orders.close_after_sales", timedelta(hours=1), _close_after_sales,
        N_("Closes completed orders whose after-sales window has passed.")),
]
