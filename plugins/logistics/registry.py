"""What the logistics plugin declares at start-up: permissions (with the
levels the built-in roles get) and its settings."""
from flask_babel import gettext as _

from portal.access import FINANCE, MERCHANT_ADMIN, MERCHANT_STAFF, PLATFORM_OPERATOR, Resource
from portal.i18n import N_
from portal.settings import SettingSpec

RESOURCES = [
    Resource("logistics.template", N_("Freight templates"),
             N_("Freight templates per store and category, and the freight calculator; limited to the user's "
                "merchants."),
             defaults={PLATFORM_OPERATOR: "manage", FINANCE: "read", MERCHANT_ADMIN: "manage",
                       MERCHANT_STAFF: "read"}),
    Resource("logistics.shipment", N_("Shipment tracking"),
             N_("Shipments, their carriers and tracking events; limited to the user's merchants."),
             defaults={PLATFORM_OPERATOR: "write", FINANCE: "read", MERCHANT_ADMIN: "manage",
                       MERCHANT_STAFF: "write"}),
    Resource("logistics.carrier", N_("Carriers"),
             N_("The carriers, their tracking pages and tracking number patterns."),
             defaults={PLATFORM_OPERATOR: "manage", FINANCE: "read", MERCHANT_ADMIN: "read",
                       MERCHANT_STAFF: "read"}),
]


def _webhook_secret(value):
    # a short secret can be guessed from a few signed pushes
    value = value.strip()
    if value and len(value) < 16:
        raise ValueError(_("use at least 16 characters (or leave it empty to refuse pushes)."))
    return value


SETTINGS = [
    SettingSpec("logistics.webhook_secret", N_("Tracking webhook secret"), "str", "",
                N_("The secret shared with carriers: pushes to /logistics/api/v1/tracking must carry its "
                   "HMAC-SHA256 signature. Empty: the endpoint refuses every push."),
                clean=_webhook_secret),
    SettingSpec("logistics.late_days", N_("Days without a tracking update before a shipment is late"), "int", 3,
                N_("The shipment list's late filter shows shipments not delivered and not updated for this long."),
                minimum=1, maximum=90),
]
