"""``flask portal inventory ...``: commands for operators."""
import click
from flask.cli import AppGroup
from flask_babel import gettext as _

inventory_group = AppGroup("inventory", help="Stock checks.")


@inventory_group.command("check")
@click.option("--repair", "make_repairs", is_flag=True,
              help="Make every repair the check offers (as on the exceptions page), each in its own "
                   "transaction and audited, then check again.")
def check_command(make_repairs):
    """List every stock figure that does not add up, explained, with the
    repair offered or what a person must do; exit status 1 while one remains."""
    from .services import check_stock, order_checks_available
    from .services.explain import explanation, repair_text, title
    found = check_stock()
    for anomaly in found:
        click.echo(str(anomaly))
        click.echo(f"  {title(anomaly)}: {explanation(anomaly)}")
        click.echo(f"  {repair_text(anomaly)}")
    if not order_checks_available():
        click.echo(_("Order checks need the orders module: reservations were not compared with orders."))
    if make_repairs and found:
        _repair_all(found)
        found = check_stock()
        click.echo(_("After the repairs:"))
    if found:
        click.echo(_("%(count)s anomaly(ies) found.", count=len(found)))
        raise SystemExit(1)
    click.echo(_("Stock adds up: no anomaly found."))


def _repair_all(found):
    """Each repair offered, as the system, committed one by one; a repair that
    no longer applies (fixed by an earlier one) is reported and skipped."""
    from portal.extensions import db

    from .services import InventoryError, repair
    for anomaly in found:
        if not anomaly.repair:
            continue
        try:
            done = repair(None, anomaly.kind, anomaly.sku_id, anomaly.warehouse_id, anomaly.state, anomaly.lock_id)
            db.session.commit()
        except InventoryError as exc:
            db.session.rollback()
            done = str(exc)
        click.echo(f"{anomaly}: {done}")
