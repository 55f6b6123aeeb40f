"""Members fixtures: the orders' ``store`` (two merchants, SKUs, stock) and
a ladder of three levels."""
from decimal import Decimal

import pytest

from plugins.members.models import Level
from tests.plugins.orders.conftest import store  # noqa: F401 - the fixture, shared


@pytest.fixture()
def ladder(db):
    """bronze from 0, silver from 100 (5% off, x1.5 points), gold from 500 (10% off, free shipping, x2)."""
    levels = [Level(code="bronze", name="Bronze", threshold=0),
              Level(code="silver", name="Silver", threshold=100, discount_percent=Decimal("5"),
                    points_multiplier=Decimal("1.5")),
              Level(code="gold", name="Gold", threshold=500, discount_percent=Decimal("10"), free_shipping=True,
                    points_multiplier=Decimal("2"))]
    db.session.add_all(levels)
    db.session.flush()
    return {lv.code: lv for lv in levels}
