"""Demo finance: two bank accounts and a provider account, statements built
from the demo orders' payments (most arrive as expected) with a few
deliberate mismatches: an amount short, a payment received twice, money for
a cancelled order, and the last payments of each account not on any statement;
a commission rule and last month's settlements."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from plugins.orders.models import CANCELLED, Order
from portal.extensions import db

from .models import Account, CommissionRule, Receivable
from .services.importing import import_file
from .services.receivables import sync_order
from .services.settlement import run_settlements

DEMO_ACCOUNTS = (
    ("BANK-CNY", "ICBC current account", "bank", "CNY", "bank_transfer,card,cash"),
    ("ALIPAY", "Alipay merchant balance", "provider", "CNY", "alipay,wechat_pay"),
)


def load_demo(merchants, echo):
    """Accounts, receivables of every demo payment, two imported statements."""
    accounts = {}
    for code, name, kind, currency, methods in DEMO_ACCOUNTS:
        account = db.session.execute(select(Account).where(Account.code == code)).scalar()
        if account is None:
            account = Account(code=code, name=name, kind=kind, currency=currency, methods=methods)
            db.session.add(account)
        accounts[code] = account
    db.session.flush()
    for order_id in db.session.execute(select(Order.id).order_by(Order.id)).scalars():
        sync_order(order_id)
    receivables = db.session.execute(select(Receivable).where(Receivable.kind == "payment", Receivable.currency == "CNY")
                                     .order_by(Receivable.due_on)).scalars().all()
    cancelled = db.session.execute(select(Order).where(Order.state == CANCELLED).limit(1)).scalar()
    for code, part in (("BANK-CNY", [r for r in receivables if r.account_id == accounts["BANK-CNY"].id]),
                       ("ALIPAY", [r for r in receivables if r.account_id == accounts["ALIPAY"].id])):
        data = _mt940(code, part[:-3] if len(part) > 3 else part, cancelled if code == "BANK-CNY" else None)
        result = import_file(None, accounts[code], f"demo-{code.lower()}.sta", data)
        echo(f"finance: {code}: {result.stored} statement lines, {result.matched} matched")
    _settlements(echo)


def _settlements(echo):
    """A standard commission rule, and last month settled for every merchant."""
    if db.session.execute(select(CommissionRule.id).limit(1)).first() is None:
        db.session.add(CommissionRule(name="Standard commission", percent=Decimal("5"), fixed=Decimal("0.50"),
                                      priority=0, valid_from=date(2020, 1, 1)))
        db.session.flush()
    created = run_settlements(None)
    echo(f"finance: {len(created)} settlements for last month")


def _mt940(code, receivables, cancelled):
    """An MT940 statement of the receivables' payments, with the mismatches."""
    rows = [(r.due_on.date(), Decimal(r.amount), r.order_number) for r in receivables]
    if len(rows) > 4:
        day, amount, number = rows[1]
        rows[1] = (day, amount - Decimal("1.00"), number)  # arrived short
        rows.append((rows[2][0] + timedelta(days=1), rows[2][1], rows[2][2]))  # arrived twice
    if cancelled is not None:
        rows.append((rows[-1][0] if rows else cancelled.placed_at.date(), Decimal(cancelled.total) or Decimal("1"),
                     cancelled.number))
    rows.sort()
    total = sum((r[1] for r in rows), Decimal(0))
    start = rows[0][0] if rows else None
    end = rows[-1][0] if rows else None
    lines = [f":20:{code}-DEMO", f":25:{code}", ":28C:1/1",
             f":60F:C{(start or end or _today()).strftime('%y%m%d')}CNY0,00"]
    for day, amount, number in rows:
        lines.append(f":61:{day.strftime('%y%m%d')}{day.strftime('%m%d')}C{_amount(amount)}NTRF{number}//{code}")
        lines.append(f":86:PAYMENT {number}")
    lines.append(f":62F:C{(end or _today()).strftime('%y%m%d')}CNY{_amount(total)}")
    lines.append("-")
    return "\n".join(lines).encode()


def _amount(value):
    return f"{value:.2f}".replace(".", ",")


def _today():
    from portal.models import utcnow
    return utcnow().date()
