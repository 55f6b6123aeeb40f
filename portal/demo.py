"""Demo data: the platform's staff, three merchants with staff, then every
plugin's demo data (``portal_demo_data``), in one transaction."""
from sqlalchemy import select

from . import access
from .auth import services
from .extensions import db
from .models import Merchant
from .money import ensure_currencies
from .plugins import kernel

DEMO_PASSWORD = "demo-password-2026"
MERCHANTS = [
    ("ACME", "Acme Home Goods", "Acme Home Goods (Shanghai) Co., Ltd.", "CN", "CNY"),
    ("BLUE", "Blue River Outdoor", "Blue River Outdoor GmbH", "DE", "EUR"),
    ("PANDA", "Panda Tea House", "熊猫茶舍(杭州)有限公司", "CN", "CNY"),
]
PLATFORM_USERS = [
    ("admin@demo.test", "Platform Admin", access.PLATFORM_ADMIN),
    ("operator@demo.test", "Olivia Operator", access.PLATFORM_OPERATOR),
    ("finance@demo.test", "Frank Finance", access.FINANCE),
]


def logins():
    rows = [(email, role) for email, _, role in PLATFORM_USERS]
    for code, *_ in MERCHANTS:
        rows.append((f"{code.lower()}-admin@demo.test", f"{access.MERCHANT_ADMIN} ({code})"))
        rows.append((f"{code.lower()}-staff@demo.test", f"{access.MERCHANT_STAFF} ({code})"))
    return rows


def load_demo(echo=print):
    if db.session.execute(select(Merchant).where(Merchant.code == MERCHANTS[0][0])).scalar_one_or_none():
        echo("The demo data exists already; nothing was changed.")
        _print_logins(echo)
        return False
    ensure_currencies()
    access.sync_builtin_roles()
    merchants = []
    for code, name, legal, country, currency in MERCHANTS:
        merchant = Merchant(code=code, name=name, legal_name=legal, country=country, default_currency=currency)
        db.session.add(merchant)
        merchants.append(merchant)
    db.session.flush()
    for email, name, role in PLATFORM_USERS:
        services.create_user(email, DEMO_PASSWORD, [services.role_by_name(role)], name=name, actor="demo")
    for merchant in merchants:
        for suffix, role in (("admin", access.MERCHANT_ADMIN), ("staff", access.MERCHANT_STAFF)):
            services.create_user(f"{merchant.code.lower()}-{suffix}@demo.test", DEMO_PASSWORD,
                                 [services.role_by_name(role)], merchant,
                                 name=f"{merchant.name} {suffix}", actor="demo")
    echo(f"Created {len(merchants)} merchants and {len(PLATFORM_USERS) + 2 * len(merchants)} users.")
    kernel().call_all("portal_demo_data", merchants=merchants, echo=echo)
    db.session.commit()
    _print_logins(echo)
    return True


def _print_logins(echo):
    echo("Demo sign-ins (password for all: %s):" % DEMO_PASSWORD)
    for email, role in logins():
        echo(f"  {email:<28} {role}")
