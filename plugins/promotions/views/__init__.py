"""The promotions' pages, under ``/promotions/``."""
from portal.i18n import N_


def views():
    """Rules (list, form, report, codes), the simulator and the calendar, under "Promotions"."""
    from .calendar import CalendarView
    from .rules import RulesView
    from .simulator import SimulatorView

    return [
        RulesView(name=N_("Rules"), endpoint="promotions_rules", url="/promotions/rules"),
        SimulatorView(name=N_("Simulator"), endpoint="promotions_simulator", url="/promotions/simulator"),
        CalendarView(name=N_("Calendar"), endpoint="promotions_calendar", url="/promotions/calendar"),
    ]
