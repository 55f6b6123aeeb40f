"""``flask portal ...``: plugins, users, roles, jobs and demo data."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from . import access, jobs
from .auth import passwords, services
from .extensions import db
from .plugins import ToggleRefused, kernel


def _fail(message):
    db.session.rollback()
    raise click.ClickException(message)


def init_app(app, kernel_):
    group = AppGroup("portal", help="Run the portal: plugins, users, jobs, demo data.")
    group.add_command(plugins_group)
    group.add_command(users_group)
    group.add_command(roles_group)
    group.add_command(jobs_group)
    group.add_command(demo_command)
    kernel_.call_all("portal_register_commands", group=group)
    app.cli.add_command(group)


# -- plugins -----------------------------------------------------------------------

plugins_group = AppGroup("plugins", help="List plugins and switch them on or off.")


def _merchant_id(code):
    if not code:
        return None
    try:
        return services.merchant_by_code(code).id
    except services.AccountError as exc:
        _fail(str(exc))


@plugins_group.command("list")
@click.option("--merchant", "merchant_code", help="Show the state for this merchant's store.")
def plugins_list(merchant_code):
    """Every installed plugin, its version and whether it is on."""
    k = kernel()
    off = k.disabled(_merchant_id(merchant_code))
    for plugin in k.plugins.values():
        meta = plugin.meta
        requires = f"  requires: {', '.join(meta.requires)}" if meta.requires else ""
        toggle = "  per-merchant" if meta.merchant_toggle else ""
        click.echo(f"{meta.name:<14} {meta.version:<8} {'disabled' if meta.name in off else 'enabled':<9}"
                   f"{meta.title}{requires}{toggle}")


def _toggle(name, enabled, merchant_code):
    from .pages.plugins import toggle
    if name not in kernel().plugins:
        _fail(f"There is no plugin named {name!r}. Installed: {', '.join(kernel().names)}.")
    try:
        toggle(name, enabled, _merchant_id(merchant_code), "cli")
    except ToggleRefused as exc:
        _fail(str(exc))
    where = f" for merchant {merchant_code}" if merchant_code else ""
    click.echo(f"{name} {'enabled' if enabled else 'disabled'}{where}.")


@plugins_group.command("enable")
@click.argument("name")
@click.option("--merchant", "merchant_code", help="Only for this merchant's store.")
def plugins_enable(name, merchant_code):
    """Switch a plugin on."""
    _toggle(name, True, merchant_code)


@plugins_group.command("disable")
@click.argument("name")
@click.option("--merchant", "merchant_code", help="Only for this merchant's store.")
def plugins_disable(name, merchant_code):
    """Switch a plugin off (its data is kept)."""
    _toggle(name, False, merchant_code)


# -- users and roles -------------------------------------------------------------------

users_group = AppGroup("users", help="Create staff accounts.")


@users_group.command("create")
@click.argument("email")
@click.option("--role", "role_names", multiple=True, required=True,
              help="Role name or built-in key (platform_admin, merchant_admin, ...). Repeatable.")
@click.option("--merchant", "merchant_code", help="The merchant the user works for (merchant roles).")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email, role_names, merchant_code, name, password_stdin):
    """Create a user; the password is prompted for (or read from stdin)."""
    access.sync_builtin_roles()
    try:
        merchant = services.merchant_by_code(merchant_code) if merchant_code else None
        roles = [services.role_by_name(r, merchant) for r in role_names]
    except services.AccountError as exc:
        _fail(str(exc))
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, password, roles, merchant, name=name, actor="cli")
    except (services.AccountError, passwords.WeakPassword) as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(r.name for r in roles)}"
               f"{', merchant ' + merchant.code if merchant else ''}).")


roles_group = AppGroup("roles", help="Built-in roles.")


@roles_group.command("sync")
def roles_sync():
    """Create missing built-in roles and add default grants for new resources."""
    access.sync_builtin_roles()
    db.session.commit()
    click.echo("Built-in roles are up to date.")


# -- jobs ----------------------------------------------------------------------------------

jobs_group = AppGroup("jobs", help="Scheduled jobs.")


@jobs_group.command("run")
@click.option("--job", "names", multiple=True, help="Only this job (repeatable).")
@click.option("--force", is_flag=True, help="Run even when not due.")
def jobs_run(names, force):
    """Run the jobs that are due, once (for cron)."""
    results = jobs.run_due(names=set(names) or None, force=force, echo=click.echo)
    if not results:
        click.echo("No jobs are registered.")
    unknown = [name for name, status in results.items() if status == "unknown"]
    if unknown:
        click.echo(f"No job named {', '.join(unknown)}; see `flask portal jobs list`.", err=True)
    if "failed" in results.values() or unknown:
        sys.exit(1)


@jobs_group.command("list")
def jobs_list():
    for job in jobs.registered().values():
        click.echo(f"{job.name:<40} every {job.interval}  {job.description}")


@jobs_group.command("serve")
@click.option("--interval", default=30, show_default=True, help="Seconds between rounds.")
def jobs_serve(interval):
    """Run due jobs in a loop (``make run`` starts this beside the web server)."""
    click.echo(f"Running scheduled jobs every {interval}s; Ctrl-C stops.")
    try:
        jobs.serve(interval, echo=click.echo)
    except KeyboardInterrupt:
        pass


@click.command("demo")
def demo_command():
    """Create the demo platform, merchants, staff and every plugin's demo data."""
    from .demo import load_demo
    load_demo(echo=click.echo)


__all__ = ["init_app", "current_app"]
