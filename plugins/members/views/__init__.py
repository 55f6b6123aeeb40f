"""The members' pages (Flask-Admin views) under ``/members/``: parse, call a
service, render."""
from portal.i18n import N_


def views():
    """Members, segments (with the RFM chart) and levels, under "Members" in the menu."""
    from .levels import LevelsView
    from .members import MembersView
    from .segments import SegmentsView

    return [
        MembersView(name=N_("Members"), endpoint="members_members", url="/members"),
        SegmentsView(name=N_("Segments"), endpoint="members_segments", url="/members/segments"),
        LevelsView(name=N_("Levels"), endpoint="members_levels", url="/members/levels"),
    ]
