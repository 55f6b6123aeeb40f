"""The core's own pages. Each module holds one page (a Flask-Admin view)."""


def core_views():
    """Views the core adds to the menu before any plugin's."""
    from .merchants import MerchantsView
    from .plugins import PluginsView

    return [
        PluginsView(name="Plugins", endpoint="plugins", url="/plugins", category="Platform"),
        MerchantsView(name="Merchants", endpoint="merchants", url="/merchants", category="Platform"),
    ]


def init_app(app):
    from .health import bp
    app.register_blueprint(bp)
