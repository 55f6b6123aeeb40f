"""Finance fixtures: the orders' store (two merchants, SKUs, stock) and an account."""
import pytest

from plugins.finance.models import Account
from tests.plugins.orders.conftest import store  # noqa: F401  (the orders' store fixture)


@pytest.fixture()
def account(db):
    """A CNY bank account that bank transfers and Alipay payments arrive on."""
    acc = Account(code="BANK1", name="Test bank", kind="bank", currency="CNY", methods="alipay,bank_transfer")
    db.session.add(acc)
    db.session.flush()
    return acc


@pytest.fixture()
def eur_account(db):
    acc = Account(code="EUR1", name="Euro account", kind="bank", currency="EUR")
    db.session.add(acc)
    db.session.flush()
    return acc
