"""``flask portal reports ...``: commands for operators."""
import click
from flask.cli import AppGroup
from flask_babel import gettext as _

reports_group = AppGroup("reports", help="Report rollups.")


@reports_group.command("rebuild")
def rebuild_command():
    """Empty every report rollup and fill it again from the orders, in one
    transaction (audited)."""
    from portal.extensions import db

    from .services.rebuild import rebuild
    counts = rebuild()
    db.session.commit()
    for table, rows in counts.items():
        click.echo(_("%(table)s: %(rows)s rows", table=table, rows=rows))
