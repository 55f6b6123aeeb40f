"""The portal's core: ``create_app`` builds one application with its plugins."""
import os

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from . import config as config_module
from .extensions import csrf, db, htmx, login_manager, migrate, principal

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config=None, plugins=None):
    """Build the application.

    Args: config, a mapping that overrides the settings read from ``PORTAL_*``
    variables; plugins, the names of the plugins to load (default: every
    installed plugin, or ``PORTAL_PLUGINS``).
    """
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "PORTAL_INSTANCE_PATH", os.path.join(PROJECT_ROOT, "instance"))
    app = Flask("portal", instance_path=instance_path, instance_relative_config=False)
    app.config.update(config_module.from_environment(instance_path))
    app.config.update(config or {})
    os.makedirs(app.instance_path, exist_ok=True)

    from . import access, auth, i18n, plugins as kernel_module, security, views

    _init_extensions(app)
    modules = kernel_module.discover(plugins if plugins is not None else app.config["PORTAL_PLUGINS"])
    kernel = kernel_module.Kernel(modules)
    app.extensions["portal.plugins"] = kernel
    _template_loader(app, kernel)

    registry = access.Registry()
    app.extensions["portal.access"] = registry
    _register_permissions(kernel, registry)
    kernel.call_all("portal_register_models")

    auth.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    views.init_app(app, kernel)
    _register_services(app, kernel)
    from . import cli
    cli.init_app(app, kernel)
    return app


def _init_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"))
    login_manager.init_app(app)
    principal.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)


def _template_loader(app, kernel):
    """Site templates first (they override), then the core's, then each plugin's."""
    loaders = [FileSystemLoader(os.path.join(PROJECT_ROOT, "templates"))]
    for plugin in kernel.plugins.values():
        folder = os.path.join(os.path.dirname(plugin.module.__file__), "templates")
        if os.path.isdir(folder):
            loaders.append(FileSystemLoader(folder))
    loaders.append(app.jinja_loader)
    app.jinja_loader = ChoiceLoader(loaders)


def _register_permissions(kernel, registry):
    from .access import CORE_RESOURCES, CORE_SCOPES
    from .plugins import PluginError

    for resource in CORE_RESOURCES:
        registry.add_resource("core", resource)
    for scope in CORE_SCOPES:
        registry.add_scope("core", scope)
    try:
        for plugin, resources in kernel.call_all("portal_register_permissions"):
            for resource in resources:
                registry.add_resource(plugin, resource)
        for plugin, scopes in kernel.call_all("portal_register_data_scopes"):
            for scope in scopes:
                registry.add_scope(plugin, scope)
    except ValueError as exc:
        raise PluginError(str(exc)) from exc


def _register_services(app, kernel):
    from . import documents, jobs, settings

    settings.init_app(app, kernel)
    jobs.init_app(app, kernel)
    documents.init_app(app, kernel)
