"""The core's own pages. Each module holds one page (a Flask-Admin view)."""
from portal.i18n import N_


def core_views():
    """Views the core adds to the menu before any plugin's."""
    from .currencies import CurrenciesView
    from .jobs import JobsView
    from .merchants import MerchantsView
    from .plugins import PluginsView
    from .settings import SettingsView
    from .tokens import TokensView

    return [
        PluginsView(name=N_("Plugins"), endpoint="plugins", url="/plugins", category=N_("Platform")),
        MerchantsView(name=N_("Merchants"), endpoint="merchants", url="/merchants", category=N_("Platform")),
        SettingsView(name=N_("Settings"), endpoint="settings", url="/settings", category=N_("Platform")),
        TokensView(name=N_("API tokens"), endpoint="tokens", url="/tokens", category=N_("Platform")),
        CurrenciesView(name=N_("Currencies"), endpoint="currencies", url="/currencies", category=N_("Platform")),
        JobsView(name=N_("Scheduled jobs"), endpoint="jobs", url="/jobs", category=N_("Platform")),
    ]


def init_app(app):
    from .health import bp
    app.register_blueprint(bp)
