"""The stock list's less common row forms through the client (transfer,
customer return, move between states, write-off, safety stock and threshold),
its merchant / state / SKU filters, and the stock figures the inventory adds
to the catalog's product page."""
import re

import pytest
from sqlalchemy import select

from plugins.inventory.models import SkuPolicy, Stock, StockLedger
from plugins.inventory.services import increase, lock, move
from portal import access
from portal.models import DataGrant, Role, RoleGrant
from portal.plugins import kernel
from tests.conftest import create_user
from tests.plugins.inventory.helpers import audit_actions, ledger_count, make_sku

HX = {"HX-Request": "true"}
ROUTES = ("transfer", "return", "move", "write-off", "policy")


def _row(db, sku, warehouse):
    return db.session.execute(select(Stock).where(Stock.sku_id == sku.id, Stock.warehouse_id == warehouse.id)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _figures(db, sku, warehouse):
    row = _row(db, sku, warehouse)
    return None if row is None else (row.on_hand, row.locked, row.damaged, row.quality_hold)


def _cell(html, testid):
    """The number a figure cell of the returned row shows."""
    return int(re.search(rf'data-testid="{testid}">(\d+)<', html).group(1))


def _error(html):
    found = re.search(r'data-testid="row-error">([^<]*)<', html)
    return found.group(1) if found else None


def _post(client, row, route, **data):
    response = client.post(f"/inventory/stock/{row.id}/{route}", data=data, headers=HX)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture()
def stocked(db, shop):
    """10 units of ``a`` in ``sh``; returns its stock row."""
    increase(None, shop.a.id, shop.sh.id, 10, "GRN1")
    return _row(db, shop.a, shop.sh)


# -- the forms ----------------------------------------------------------------------

def _actions(client, row):
    """The forms behind a row's "Change stock", as HTMX fetches them when it opens."""
    response = client.get(f"/inventory/stock/{row.id}/actions", headers=HX)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_forms_load_when_change_stock_opens(client, login_as, shop, stocked):
    login_as("merchant_staff", merchant=shop.m)
    page = client.get("/inventory/stock/").get_data(as_text=True)
    assert f'hx-get="/inventory/stock/{stocked.id}/actions"' in page and 'hx-trigger="toggle once"' in page
    assert 'data-testid="receive-form"' not in page and 'data-testid="transfer-form"' not in page
    forms = _actions(client, stocked)
    for form in ("receive", "count", "transfer", "return", "move", "write_off", "policy"):
        assert f'data-testid="{form}-form"' in forms, form
    assert f'hx-confirm="Write off these units of {shop.a.code} in {shop.sh.code}?' in forms
    # without HTMX the address leads to the list, limited to the row's SKU
    response = client.get(f"/inventory/stock/{stocked.id}/actions")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"?sku={shop.a.id}")


def test_transfer_moves_units_to_a_warehouse_the_user_stocks(db, client, login_as, shop, stocked):
    login_as("merchant_staff", merchant=shop.m)
    choices = _actions(client, stocked)
    choices = choices[choices.index(f'id="destination-{stocked.id}"'):]
    choices = choices[:choices.index("</select>")]
    # the merchant's other warehouse and the platform-run one; not the row's own, not another merchant's
    assert shop.gz.code in choices and shop.hub.code in choices
    assert shop.sh.code not in choices and shop.far.code not in choices

    html = _post(client, stocked, "transfer", destination=shop.gz.id, qty="4", document="TR-9")
    assert _cell(html, "on-hand") == 6 and _cell(html, "sellable") == 6 and "Saved." in html
    # "More actions" comes back open, its forms in place, so the form used stays in view
    assert '<details class="small" open' in html and 'data-testid="transfer-form"' in html
    assert _figures(db, shop.a, shop.gz) == (4, 0, 0, 0)
    assert "inventory.transfer" in audit_actions(db)
    ledger = client.get(f"/inventory/stock/{_row(db, shop.a, shop.gz).id}/ledger").get_data(as_text=True)
    assert "TR-9" in ledger


def test_transfer_refuses_more_than_available_and_foreign_warehouses(db, client, login_as, shop, stocked):
    lock(None, shop.a.id, shop.sh.id, 3, "ORD-1")
    login_as("merchant_staff", merchant=shop.m)
    before = ledger_count(db)
    html = _post(client, stocked, "transfer", destination=shop.gz.id, qty="8", document="TR")
    assert _error(html) == "8 units asked for; only 7 available here."
    assert _cell(html, "on-hand") == 10
    html = _post(client, stocked, "transfer", destination=shop.far.id, qty="1")
    assert _error(html) == "Choose the warehouse the goods go to from the list."
    html = _post(client, stocked, "transfer", destination=shop.sh.id, qty="1")
    assert "from the list" in _error(html)
    html = _post(client, stocked, "transfer", destination=shop.gz.id, qty="lots")
    assert _error(html) == "Enter the quantity as a whole number above zero."
    assert ledger_count(db) == before and _row(db, shop.a, shop.gz) is None and _row(db, shop.a, shop.far) is None


def test_customer_returns_go_to_sellable_or_damaged(db, client, login_as, shop, stocked):
    login_as("merchant_admin", merchant=shop.m)
    html = _post(client, stocked, "return", qty="2", to="sellable", document="RMA-1")
    assert (_cell(html, "on-hand"), _cell(html, "sellable")) == (12, 12)
    html = _post(client, stocked, "return", qty="3", to="damaged", document="RMA-2")
    assert (_cell(html, "on-hand"), _cell(html, "damaged"), _cell(html, "sellable")) == (15, 3, 12)
    html = _post(client, stocked, "return", qty="1", to="quality_hold")
    assert "is not a stock state here" in _error(html)
    html = _post(client, stocked, "return", qty="0", to="sellable")
    assert _error(html) == "Enter the quantity as a whole number above zero."
    assert _figures(db, shop.a, shop.sh) == (15, 0, 3, 0)
    assert audit_actions(db).count("inventory.return") == 2


def test_moves_between_states_and_their_refusals(db, client, login_as, shop, stocked):
    login_as("merchant_staff", merchant=shop.m)
    html = _post(client, stocked, "move", qty="4", **{"from": "sellable", "to": "quality_hold"}, note="batch check")
    assert (_cell(html, "quality-hold"), _cell(html, "sellable"), _cell(html, "on-hand")) == (4, 6, 10)
    html = _post(client, stocked, "move", qty="1", **{"from": "damaged", "to": "sellable"})
    assert _error(html) == "1 units asked for; only 0 damaged here."
    html = _post(client, stocked, "move", qty="5", **{"from": "quality_hold", "to": "damaged"})
    assert _error(html) == "5 units asked for; only 4 on quality hold here."
    html = _post(client, stocked, "move", qty="1", **{"from": "damaged", "to": "damaged"})
    assert _error(html) == "Choose a state to move the units to other than the one they are in."
    html = _post(client, stocked, "move", qty="3", **{"from": "quality_hold", "to": "damaged"})
    assert (_cell(html, "quality-hold"), _cell(html, "damaged"), _cell(html, "sellable")) == (1, 3, 6)
    assert _figures(db, shop.a, shop.sh) == (10, 0, 3, 1)
    assert db.session.execute(select(StockLedger.note).where(StockLedger.reason == "move")
                              .order_by(StockLedger.id)).scalars().first() == "batch check"


def test_write_off_removes_damaged_or_held_units(db, client, login_as, shop, stocked):
    move(None, shop.a.id, shop.sh.id, 3, "sellable", "damaged")
    move(None, shop.a.id, shop.sh.id, 2, "sellable", "quality_hold")
    login_as("merchant_staff", merchant=shop.m)
    html = _post(client, stocked, "write-off", qty="2", state="damaged", note="crushed")
    assert (_cell(html, "on-hand"), _cell(html, "damaged"), _cell(html, "sellable")) == (8, 1, 5)
    html = _post(client, stocked, "write-off", qty="3", state="quality_hold", note="failed check")
    assert _error(html) == "3 units asked for; only 2 on quality hold here."
    html = _post(client, stocked, "write-off", qty="1", state="sellable")
    assert "is not a stock state here" in _error(html)
    html = _post(client, stocked, "write-off", qty="2", state="quality_hold", note="failed check")
    assert (_cell(html, "on-hand"), _cell(html, "quality-hold"), _cell(html, "sellable")) == (6, 0, 5)
    assert audit_actions(db).count("inventory.write_off") == 2


def test_safety_stock_and_threshold_are_set_for_the_sku(db, client, login_as, shop, stocked):
    login_as("merchant_staff", merchant=shop.m)
    html = _post(client, stocked, "policy", safety_stock="2", low_stock_threshold="12")
    assert 'name="safety_stock" inputmode="numeric" class="form-control form-control-sm mr-1" ' \
           'style="width:5rem" value="2"' in html
    assert 'value="12"' in html and "Saved." in html
    policy = db.session.get(SkuPolicy, shop.a.id)
    assert (policy.safety_stock, policy.low_stock_threshold) == (2, 12)
    # the threshold now puts the SKU on the low-stock list
    assert shop.a.code in client.get("/inventory/stock/?low=1").get_data(as_text=True)
    html = _post(client, stocked, "policy", safety_stock="-1", low_stock_threshold="3")
    assert _error(html) == "Safety stock: enter a whole number, zero or more."
    html = _post(client, stocked, "policy", safety_stock="1", low_stock_threshold="few")
    assert _error(html) == "Low-stock threshold: enter a whole number, zero or more."
    policy = db.session.execute(select(SkuPolicy).where(SkuPolicy.sku_id == shop.a.id)
                                .execution_options(populate_existing=True)).scalar_one()
    assert (policy.safety_stock, policy.low_stock_threshold) == (2, 12)


def test_without_htmx_the_form_redirects_with_a_message(db, client, login_as, shop, stocked):
    login_as("merchant_staff", merchant=shop.m)
    response = client.post(f"/inventory/stock/{stocked.id}/move", data={"qty": "99", "from": "sellable",
                                                                       "to": "damaged"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "99 units asked for; only 10 available here." in page
    assert _figures(db, shop.a, shop.sh) == (10, 0, 0, 0)


# -- who may act --------------------------------------------------------------------

def test_another_merchants_row_answers_404_to_every_form(db, client, login_as, shop):
    increase(None, shop.x.id, shop.far.id, 9, "GRN")
    row = _row(db, shop.x, shop.far)
    login_as("merchant_staff", merchant=shop.m)
    data = {"qty": "1", "destination": shop.sh.id, "to": "damaged", "from": "sellable", "state": "damaged",
            "safety_stock": "1", "low_stock_threshold": "1"}
    for route in ROUTES:
        assert client.post(f"/inventory/stock/{row.id}/{route}", data=data, headers=HX).status_code == 404, route
    assert client.get(f"/inventory/stock/{row.id}/actions", headers=HX).status_code == 404
    assert _figures(db, shop.x, shop.far) == (9, 0, 0, 0) and db.session.get(SkuPolicy, shop.x.id) is None


def test_read_only_users_get_403_and_see_no_forms(db, client, login_as, shop, stocked):
    login_as("finance")
    assert "More actions" not in client.get("/inventory/stock/").get_data(as_text=True)
    data = {"qty": "1", "destination": shop.gz.id, "to": "damaged", "from": "sellable", "state": "damaged",
            "safety_stock": "1", "low_stock_threshold": "1"}
    for route in ROUTES:
        assert client.post(f"/inventory/stock/{stocked.id}/{route}", data=data, headers=HX).status_code == 403, route
    assert client.get(f"/inventory/stock/{stocked.id}/actions", headers=HX).status_code == 403
    assert _figures(db, shop.a, shop.sh) == (10, 0, 0, 0) and db.session.get(SkuPolicy, shop.a.id) is None


def _warehouse_clerk(db, shop, warehouse_levels):
    """Merchant staff of ``shop.m`` who may change stock, with these warehouse grants only."""
    role = Role(name="Clerk", kind="merchant", merchant_id=shop.m.id,
                grants=[RoleGrant(resource="inventory.stock", level=access.READ),
                        RoleGrant(resource="inventory.adjust", level=access.WRITE)],
                data_grants=[DataGrant(scope="merchant", value="@own", level=access.WRITE)]
                + [DataGrant(scope="warehouse", value=str(w.id), level=lv) for w, lv in warehouse_levels])
    db.session.add(role)
    db.session.flush()
    return create_user([role], shop.m)


def test_warehouse_scope_limits_the_forms_and_the_destinations(db, client, login, shop, stocked):
    increase(None, shop.a.id, shop.gz.id, 5, "GRN2")
    login(_warehouse_clerk(db, shop, [(shop.sh, access.READ), (shop.gz, access.WRITE)]))
    gz_row = _row(db, shop.a, shop.gz)
    forms = _actions(client, gz_row)
    assert f'id="destination-{gz_row.id}"' not in forms  # sh is read-only, hub and far out of scope
    assert "No other warehouse you stock can hold this SKU." in forms
    assert client.get(f"/inventory/stock/{stocked.id}/actions", headers=HX).status_code == 403
    response = client.post(f"/inventory/stock/{stocked.id}/move", headers=HX,
                           data={"qty": "1", "from": "sellable", "to": "damaged"})
    assert response.status_code == 403
    html = _post(client, gz_row, "transfer", destination=shop.sh.id, qty="1")
    assert "from the list" in _error(html)
    assert _figures(db, shop.a, shop.sh) == (10, 0, 0, 0) and _figures(db, shop.a, shop.gz) == (5, 0, 0, 0)


# -- filters ------------------------------------------------------------------------

def test_state_filter_narrows_the_list(db, client, login_as, shop):
    for sku in (shop.a, shop.b):
        increase(None, sku.id, shop.sh.id, 5, "GRN")
    extra = [make_sku(db, shop.m) for _ in range(3)]
    for sku in extra:
        increase(None, sku.id, shop.sh.id, 5, "GRN")
    lock(None, shop.a.id, shop.sh.id, 1, "ORD-1")
    move(None, shop.b.id, shop.sh.id, 1, "sellable", "damaged")
    move(None, extra[0].id, shop.sh.id, 2, "sellable", "quality_hold")
    lock(None, extra[1].id, shop.sh.id, 5, "ORD-2")  # nothing left to sell
    login_as("merchant_staff", merchant=shop.m)

    def listed(state):
        page = client.get(f"/inventory/stock/?state={state}").get_data(as_text=True)
        return {sku.code for sku in (shop.a, shop.b, *extra) if f"<td>{sku.code}</td>" in page}

    assert listed("locked") == {shop.a.code, extra[1].code}
    assert listed("damaged") == {shop.b.code}
    assert listed("quality_hold") == {extra[0].code}
    assert listed("unavailable") == {extra[1].code}
    assert listed("") == listed("nonsense") == {shop.a.code, shop.b.code, *(s.code for s in extra)}
    empty = client.get(f"/inventory/stock/?state=damaged&q={shop.a.code}").get_data(as_text=True)
    assert "No stock matches these filters." in empty


def test_merchant_filter_is_for_platform_staff(db, client, login_as, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN")
    increase(None, shop.x.id, shop.far.id, 5, "GRN")
    login_as("platform_admin")
    page = client.get("/inventory/stock/").get_data(as_text=True)
    assert 'data-testid="filter-merchant"' in page and shop.other.code in page
    mine = client.get(f"/inventory/stock/?merchant={shop.m.id}").get_data(as_text=True)
    assert f"<td>{shop.a.code}</td>" in mine and f"<td>{shop.x.code}</td>" not in mine
    theirs = client.get(f"/inventory/stock/?merchant={shop.other.id}").get_data(as_text=True)
    assert f"<td>{shop.x.code}</td>" in theirs and f"<td>{shop.a.code}</td>" not in theirs

    client.post("/logout")
    login_as("merchant_staff", merchant=shop.other)
    page = client.get(f"/inventory/stock/?merchant={shop.m.id}").get_data(as_text=True)
    # merchant staff get no merchant choice, and asking for another merchant shows their own stock
    assert 'data-testid="filter-merchant"' not in page
    assert f"<td>{shop.x.code}</td>" in page and f"<td>{shop.a.code}</td>" not in page


def test_sku_filter_shows_one_skus_warehouses(db, client, login_as, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN")
    increase(None, shop.a.id, shop.hub.id, 2, "GRN")
    increase(None, shop.b.id, shop.sh.id, 5, "GRN")
    increase(None, shop.x.id, shop.far.id, 5, "GRN")
    login_as("merchant_staff", merchant=shop.m)
    page = client.get(f"/inventory/stock/?sku={shop.a.id}").get_data(as_text=True)
    assert page.count(f"<td>{shop.a.code}</td>") == 2 and f"<td>{shop.b.code}</td>" not in page
    assert f"SKU {shop.a.code}" in page  # the filter says which SKU
    # another merchant's SKU: no rows, and its code is not revealed
    other = client.get(f"/inventory/stock/?sku={shop.x.id}").get_data(as_text=True)
    assert "No stock matches these filters." in other and shop.x.code not in other


def test_pager_links_keep_the_filters(db, client, login_as, shop, monkeypatch):
    monkeypatch.setattr("plugins.inventory.views.stock.PER_PAGE", 2)
    skus = [make_sku(db, shop.m, code=f"PG{i}") for i in range(5)]
    for sku in skus:
        increase(None, sku.id, shop.sh.id, 3, "GRN")
        move(None, sku.id, shop.sh.id, 1, "sellable", "damaged")
    increase(None, shop.a.id, shop.sh.id, 3, "GRN")  # not damaged: filtered out
    login_as("platform_admin")
    url = f"/inventory/stock/?state=damaged&merchant={shop.m.id}&q=PG"
    seen = []
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r"<td>(PG\d)</td>", page)
        assert f"<td>{shop.a.code}</td>" not in page
        following = re.search(r'<li class="page-item ">\s*<a class="page-link" href="([^"]+)">Next', page)
        url = following.group(1).replace("&amp;", "&") if following else None
        if url:
            assert "state=damaged" in url and f"merchant={shop.m.id}" in url and "q=PG" in url
    assert seen == [f"PG{i}" for i in range(5)]


# -- the catalog's product page -------------------------------------------------------

def test_product_page_shows_sellable_figures_per_sku(db, client, login_as, shop):
    from plugins.inventory.services import set_policy
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    increase(None, shop.a.id, shop.hub.id, 4, "GRN")
    lock(None, shop.a.id, shop.sh.id, 3, "ORD-1")
    set_policy(None, shop.a.id, safety_stock=2)
    login_as("merchant_staff", merchant=shop.m)
    page = client.get(f"/catalog/products/{shop.a.product_id}").get_data(as_text=True)
    assert 'data-testid="product-stock"' in page
    row = page[page.index(f'data-testid="product-stock-{shop.a.code}"'):]
    row = row[:row.index("</tr>")]
    assert (_cell(row, "sellable"), _cell(row, "on-hand"), _cell(row, "locked")) == (9, 14, 3)
    assert f'href="/inventory/stock/?sku={shop.a.id}"' in row


def test_product_page_leaves_stock_out_when_inventory_is_off_or_unreadable(db, client, login, login_as, shop):
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    url = f"/catalog/products/{shop.a.product_id}"
    login_as("platform_admin")
    assert 'data-testid="product-stock"' in client.get(url).get_data(as_text=True)
    kernel().set_enabled("inventory", False)
    db.session.flush()
    try:
        page = client.get(url)
        assert page.status_code == 200 and 'data-testid="sku-table"' in page.get_data(as_text=True)
        assert 'data-testid="product-stock"' not in page.get_data(as_text=True)
    finally:
        kernel().set_enabled("inventory", True)
    client.post("/logout")
    role = Role(name="Catalogue only", kind="merchant", merchant_id=shop.m.id,
                grants=[RoleGrant(resource="catalog.product", level=access.READ)],
                data_grants=[DataGrant(scope="merchant", value="@own", level=access.READ)])
    db.session.add(role)
    db.session.flush()
    login(create_user([role], shop.m))
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="sku-table"' in page.get_data(as_text=True)
    assert 'data-testid="product-stock"' not in page.get_data(as_text=True)


def test_an_event_handlers_refusal_shows_in_the_row_and_undoes_the_change(db, client, login_as, shop, stocked,
                                                                           monkeypatch):
    from plugins.inventory import services
    from portal.events import EventRejected
    real_move = services.move

    def refused_move(*args, **kwargs):
        real_move(*args, **kwargs)  # the units moved, then a handler of the operation's event says no
        raise EventRejected("The quality team must approve moves today.")
    monkeypatch.setattr(services, "move", refused_move)
    login_as("merchant_staff", merchant=shop.m)
    html = _post(client, stocked, "move", qty="2", **{"from": "sellable", "to": "damaged"})
    assert _error(html) == "The quality team must approve moves today." and _cell(html, "damaged") == 0
    assert _figures(db, shop.a, shop.sh) == (10, 0, 0, 0)
