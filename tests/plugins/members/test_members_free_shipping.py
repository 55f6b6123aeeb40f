"""A level's free shipping, honoured by logistics through its extension point
(``logistics_freight_waiver``): the freight stays visible and one adjustment
takes it back to zero, exactly; the order's page says why."""
from decimal import Decimal

from sqlalchemy import select

from plugins.logistics.models import OrderFreight
from plugins.orders.services import place, quote
from portal.extensions import db
from portal.plugins import kernel
from tests.plugins.logistics.conftest import shop, template  # noqa: F401 - the fixture, shared
from tests.plugins.members.helpers import buyer, member_of

ZONES = [{"regions": "CN", "first_units": 1, "first_fee": 10, "additional_units": 1, "additional_fee": 5}]


def _member_at(shop, ref, level):
    member = member_of(place(None, "portal", buyer(), [(shop.tea.id, 1)], ref).orders[0])
    member.level = level
    db.session.flush()
    return member


def _freight(adjustments):
    return [(a.reason, a.amount) for a in adjustments if a.kind == "freight"]


def test_a_gold_member_ships_free_and_the_order_adds_up(shop, ladder, db):
    template(db, shop.m, "count", name="Store", zones=ZONES)
    _member_at(shop, "FS-1", ladder["gold"])
    order = place(None, "portal", buyer(), [(shop.tea.id, 2)], "FS-1").orders[0]
    freight = _freight(order.adjustments)
    assert [amount for _reason, amount in freight] == [Decimal("15.00"), Decimal("-15.00")]
    assert freight[1][0] == "Free shipping: member level Gold ships free"
    assert order.total == Decimal("54.00")  # 60.00 of tea, 10% off for gold, freight netted to zero
    assert order.total == order.subtotal + sum(a.amount for a in order.adjustments)
    rows = db.session.execute(select(OrderFreight).where(OrderFreight.order_id == order.id)).scalars().all()
    assert [(r.amount, r.waived_by) for r in rows] == [(Decimal("15.0000"),
                                                        "Free shipping: member level Gold ships free")]


def test_a_level_without_the_privilege_and_a_buyer_without_a_member_pay_freight(shop, ladder, db):
    template(db, shop.m, "count", zones=ZONES)
    _member_at(shop, "FS-2", ladder["silver"])
    assert _freight(quote(None, [(shop.tea.id, 2)], "CN-GD", "portal", "FS-2")[0].adjustments)[-1][1] == \
        Decimal("15.00")
    assert len(_freight(quote(None, [(shop.tea.id, 2)], "CN-GD", "portal", "NOBODY")[0].adjustments)) == 1


def test_nothing_is_waived_when_the_freight_is_already_free(shop, ladder, db):
    template(db, shop.m, "count", zones=[{**ZONES[0], "free_over_amount": 50}])
    _member_at(shop, "FS-3", ladder["gold"])
    priced = quote(None, [(shop.tea.id, 2)], "CN-GD", "portal", "FS-3")[0]
    assert [amount for _reason, amount in _freight(priced.adjustments)] == [Decimal("0.00")]


def test_with_the_members_off_a_gold_member_pays_freight(shop, ladder, db):
    template(db, shop.m, "count", zones=ZONES)
    _member_at(shop, "FS-4", ladder["gold"])
    kernel().set_enabled("members", False)
    try:
        priced = quote(None, [(shop.tea.id, 2)], "CN-GD", "portal", "FS-4")[0]
        assert priced.total == Decimal("75.00")  # no level discount, freight charged
    finally:
        kernel().set_enabled("members", True)


def test_the_order_page_shows_why_the_freight_was_waived(shop, ladder, db, client, login_as):
    template(db, shop.m, "count", name="Store rates", zones=ZONES)
    _member_at(shop, "FS-5", ladder["gold"])
    order = place(None, "portal", buyer(), [(shop.tea.id, 2)], "FS-5").orders[0]
    login_as("merchant_admin", merchant=shop.m)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="freight-waiver"' in page
    waiver = page.split('data-testid="freight-waiver"')[1].split("</tfoot>")[0]
    assert "member level Gold ships free" in waiver and "-15.00 CNY" in waiver and "0.00 CNY" in waiver
