"""Every core hook. Plugins implement them with ``@hookimpl`` in ``hooks.py``.

Conventions (pytest's): every hook is prefixed ``portal_``; an implementation
takes only the arguments it uses, so a spec can gain arguments later; spec
arguments are never renamed or removed.

``portal_register_*`` hooks run once while the application is built, for every
installed plugin, enabled or not (enabling later must not need a restart).
The other hooks run per request or per event through ``portal.plugins.call``,
which skips plugins that are disabled (for the platform, or for the merchant
the call is about), so they must be cheap.

Both kinds run in dependency order: a plugin after the plugins it requires
(``tryfirst`` / ``trylast`` still move a per-request implementation). A hook
spec of a plugin that takes ``merchant_id`` receives the merchant the call is
about.
"""
import pluggy

hookspec = pluggy.HookspecMarker("portal")
hookimpl = pluggy.HookimplMarker("portal")


# -- start-up: registration ---------------------------------------------------

@hookspec
def portal_register_models():
    """Called once at start-up so the plugin's models are imported.

    Returns: a list of model classes (or modules defining them); used to know
    which tables belong to which plugin.
    """


@hookspec
def portal_register_permissions():
    """Called once at start-up.

    Returns: a list of ``portal.access.Resource`` the plugin guards
    (``Resource("catalog.product", "Products")``). A resource name must be
    unique across plugins and start with the plugin's name.
    """


@hookspec
def portal_register_data_scopes():
    """Called once at start-up.

    Returns: a list of ``portal.access.DataScope`` the plugin adds (the core
    declares ``merchant``; inventory adds ``warehouse``).
    """


@hookspec
def portal_register_views(app):
    """Called once at start-up, after the core views exist.

    Args: app, the Flask application being built.
    Returns: a list of Flask-Admin views (``portal.views.PortalView`` or
    ``PortalModelView``). Their URLs must start with ``/<plugin-name>/``; the
    core adds them to the menu under the plugin's title and gates them.
    """


@hookspec
def portal_register_blueprints(app):
    """Called once at start-up.

    Args: app, the Flask application being built.
    Returns: a list of ``flask.Blueprint`` (JSON APIs, webhooks) whose
    ``url_prefix`` starts with ``/<plugin-name>``; the core gates them.
    """


@hookspec
def portal_register_commands(group):
    """Called once when the ``flask portal`` command group is built.

    Args: group, the click group ``flask portal``; add sub-commands to it.
    Returns: nothing.
    """


@hookspec
def portal_register_jobs():
    """Called once at start-up.

    Returns: a list of ``portal.jobs.Job`` (name, interval, function). Jobs of a
    disabled plugin are not run.
    """


@hookspec
def portal_register_settings():
    """Called once at start-up.

    Returns: a list of ``portal.settings.SettingSpec`` (typed, with a default;
    ``per_merchant=True`` when a merchant may override it).
    """


@hookspec
def portal_register_documents():
    """Called once at start-up.

    Returns: a list of ``portal.documents.DocumentKind`` the plugin issues
    (invoice, settlement statement, ...), with their template and numbering.
    """


@hookspec
def portal_demo_data(merchants, echo):
    """Called by ``flask portal demo`` after the core demo (platform, merchants
    and staff) exists, in dependency order, inside one transaction.

    Args: merchants, the demo ``Merchant`` rows; echo, a function that prints
    a line for the person running the command.
    Returns: nothing.
    """


# -- per request --------------------------------------------------------------

@hookspec
def portal_dashboard_widgets(user):
    """Called when the dashboard renders, for plugins enabled for the user.

    Args: user, the signed-in ``User``.
    Returns: a list of ``portal.views.Widget`` the user may see (check
    permissions here: the widget is shown as returned).
    """


@hookspec
def portal_template_slot(slot, context):
    """Called by ``{{ slot("name") }}`` in templates, for enabled plugins.

    Args: slot, the slot's name (``user_menu``, ``merchant_detail``);
    context, a dict of what the template offers (``user``, the record...).
    Returns: Markup to insert, or None.
    """


# -- events -------------------------------------------------------------------

@hookspec
def portal_on_event(event):
    """Called for each domain event (``portal.events.publish``), inside the
    transaction that caused it, for plugins enabled for the event's merchant.

    Args: event, a dataclass instance (``OrderPlaced``, ``StockLow``...).
    Returns: nothing. Raising aborts the whole operation; raise
    ``portal.events.EventRejected`` with a message for the user.
    """
