"""``flask portal inventory ...``: commands for operators."""
import click
from flask.cli import AppGroup

inventory_group = AppGroup("inventory", help="Stock checks.")


@inventory_group.command("check")
def check_command():
    """List every stock figure that does not add up (quantity against its
    ledger, against the live reservations, negative or over-committed); exit
    status 1 when there is one."""
    from .services import check_stock
    found = check_stock()
    for anomaly in found:
        click.echo(str(anomaly))
    click.echo(f"{len(found)} anomaly(ies) found." if found else "Stock adds up: no anomaly found.")
    if found:
        raise SystemExit(1)
