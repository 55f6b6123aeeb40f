"""What the members plugin declares at start-up: permissions, settings
(points can be switched off per merchant) and its scheduled jobs."""
from datetime import timedelta

from portal.access import FINANCE, MERCHANT_ADMIN, MERCHANT_STAFF, PLATFORM_OPERATOR, Resource
from portal.i18n import N_
from portal.jobs import Job
from portal.settings import SettingSpec

RESOURCES = [
    Resource("members.member", N_("Members"),
             N_("Member profiles and their orders; manage shows full phone and e-mail, exports, erases and "
                "configures levels. A merchant sees the members who bought from it."),
             defaults={PLATFORM_OPERATOR: "manage", FINANCE: "read", MERCHANT_ADMIN: "manage",
                       MERCHANT_STAFF: "read"}),
    Resource("members.points", N_("Member points"),
             N_("See members' points ledgers; write adjusts a balance with a reason."),
             defaults={PLATFORM_OPERATOR: "write", FINANCE: "read", MERCHANT_ADMIN: "read",
                       MERCHANT_STAFF: "read"}),
    Resource("members.segment", N_("Member segments"),
             N_("Segments from rules, RFM groups; manage exports a segment's consenting members."),
             defaults={PLATFORM_OPERATOR: "manage", MERCHANT_ADMIN: "manage", MERCHANT_STAFF: "read"}),
]

SETTINGS = [
    SettingSpec("members.points_enabled", N_("Points in this store"), "bool", True,
                N_("Members earn points on this store's completed orders and may spend them on its orders."),
                per_merchant=True),
    SettingSpec("members.points_earn_per_unit", N_("Points earned per currency unit"), "decimal", "1",
                N_("Points a completed order earns per unit of its total, before the level's multiplier."),
                minimum=0, maximum=1000),
    SettingSpec("members.points_value", N_("Points worth one currency unit"), "int", 100,
                N_("How many points pay for one unit of money (100: 100 points take 1.00 off)."),
                minimum=1, maximum=100000),
    SettingSpec("members.points_max_share", N_("Largest share of an order paid with points, in percent"), "int", 50,
                N_("Points may pay at most this percentage of an order's goods (after the level discount)."),
                minimum=0, maximum=100),
]


def _expire_points():
    from .services.points import expire_points
    return expire_points()


def _review_levels():
    from .services.levels import review_levels
    return review_levels()


def _recompute_rfm():
    from .services.rfm import recompute
    return recompute()


JOBS = [
    Job("members.expire_points", timedelta(days=1), _expire_points,
        N_("Expires points earned before last year (points last until the end of the year after they were earned).")),
    Job("members.review_levels", timedelta(days=1), _review_levels,
        N_("Reviews the levels of members whose year is up: the growth of that year decides the new level.")),
    Job("members.recompute_rfm", timedelta(hours=6), _recompute_rfm,
        N_("Recomputes members' order figures and RFM scores and groups in the database.")),
]
