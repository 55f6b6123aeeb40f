"""Promotions fixtures: the orders' store (merchant ``m`` with SKUs ``a`` and
``b`` at 10.00 CNY, stock in its warehouses; merchant ``other`` with ``x``)
and a helper that creates rules through the service."""
from datetime import timedelta

import pytest

from plugins.promotions.services import create_rule
from portal.models import utcnow
from tests.plugins.orders.conftest import store  # noqa: F401 - the orders' store fixture, reused


@pytest.fixture()
def make_rule(db):
    def make(merchant=None, **fields):
        data = {"scope": "store", "funder": "merchant", "kind": "percent", "percent": "10", "name": "Rule",
                "starts_at": utcnow() - timedelta(hours=1)}
        data.update({key: value for key, value in fields.items()})
        if merchant is not None:
            data["merchant_id"] = merchant.id
        return create_rule(None, data)
    return make
