"""The finance pages through the test client: who may see them, importing a
file, matching a line by hand, explaining a flag, the dashboard card, and
the plugin switched off."""
import io

from sqlalchemy import select

from plugins.finance.models import Account, Flag, Receivable, Statement, StatementLine
from plugins.finance.services import import_file
from plugins.orders.models import PENDING_SHIPMENT
from portal.plugins import kernel
from tests.plugins.finance.helpers import mt940, sample
from tests.plugins.finance.test_finance_matching import day, cents
from tests.plugins.orders.helpers import order_in

PAGES = ("/finance/reconcile/", "/finance/statements/", "/finance/flags/", "/finance/accounts/",
         "/finance/statements/import")


def _upload(client, account, name, data):
    return client.post("/finance/statements/import", data={"account_id": str(account.id),
                                                           "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_finance_staff_see_every_page(db, client, login_as, account):
    login_as("finance")
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url


def test_merchant_staff_and_operators_cannot_change_anything(db, client, login_as, store, account):
    login_as("merchant_admin", merchant=store.m)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    menu = client.get("/").get_data(as_text=True)
    assert 'href="/finance/reconcile/' not in menu and 'href="/finance/settlements/' in menu
    client.post("/logout")
    login_as("platform_operator")
    assert client.get("/finance/statements/").status_code == 200
    assert client.get("/finance/statements/import").status_code == 403
    assert _upload(client, account, "a.sta", sample("jejik-knab.sta")).status_code == 403


def test_import_through_the_form_says_what_it_stored(db, client, login_as, eur_account):
    login_as("finance")
    html = _upload(client, eur_account, "knab.sta", sample("jejik-knab.sta")).get_data(as_text=True)
    assert 'data-testid="import-result"' in html and "3 lines stored" in html
    assert "1 statement does not balance" in html
    again = _upload(client, eur_account, "knab.sta", sample("jejik-knab.sta")).get_data(as_text=True)
    assert 'data-testid="import-error"' in again and "already imported" in again
    listing = client.get("/finance/statements/?unbalanced=1").get_data(as_text=True)
    assert listing.count('data-testid="statement-row-') == 1


def test_a_broken_file_through_the_form_names_its_line(db, client, login_as, eur_account):
    login_as("finance")
    html = _upload(client, eur_account, "feb30.sta", sample("self-provided-february_30.sta")).get_data(as_text=True)
    assert "Line 6: 160230 is not a real date" in html
    assert db.session.execute(select(Statement)).first() is None


def test_the_import_form_names_a_missing_account_or_file(db, client, login_as, account):
    login_as("finance")
    html = client.post("/finance/statements/import", data={"account_id": "999"}).get_data(as_text=True)
    assert "Account: choose" in html
    html = client.post("/finance/statements/import", data={"account_id": str(account.id)}).get_data(as_text=True)
    assert "File: choose" in html


def test_a_line_is_matched_by_hand_on_the_workbench(db, client, login_as, store, account):
    first, second = order_in(store, PENDING_SHIPMENT), order_in(store, PENDING_SHIPMENT)
    total = first.total + second.total
    import_file(None, account, "s.sta", mt940([(day(first), "C", cents(total), "NONREF", "TWO ORDERS")]))
    line = db.session.execute(select(StatementLine)).scalar_one()
    login_as("finance")
    page = client.get("/finance/reconcile/").get_data(as_text=True)
    assert f'data-testid="line-row-{line.id}"' in page
    panel = client.get(f"/finance/reconcile/line/{line.id}?find={first.number}", headers={"HX-Request": "true"})
    assert "HX-Request" in panel.headers["Vary"] and "<html" not in panel.get_data(as_text=True)
    ids = [r.id for r in db.session.execute(select(Receivable).order_by(Receivable.id)).scalars()]
    form = {"receivable": [str(i) for i in ids], f"amount-{ids[0]}": str(first.total),
            f"amount-{ids[1]}": str(second.total)}
    html = client.post(f"/finance/reconcile/line/{line.id}/match", data=form,
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="line-done"' in html and first.number in html and second.number in html
    assert db.session.get(StatementLine, line.id).status == "matched"
    assert f'data-testid="line-row-{line.id}"' not in client.get("/finance/reconcile/").get_data(as_text=True)
    html = client.post(f"/finance/reconcile/line/{line.id}/unmatch",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Match undone." in html and db.session.get(StatementLine, line.id).status == "unmatched"


def test_a_bad_allocation_is_answered_in_the_panel(db, client, login_as, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    import_file(None, account, "s.sta", mt940([(day(order), "C", "1,00", "NONREF", "X")]))
    line = db.session.execute(select(StatementLine)).scalar_one()
    receivable = db.session.execute(select(Receivable)).scalar_one()
    login_as("finance")
    html = client.post(f"/finance/reconcile/line/{line.id}/match",
                       data={"receivable": [str(receivable.id)], f"amount-{receivable.id}": "abc"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="line-error"' in html and "is not a number" in html
    html = client.post(f"/finance/reconcile/line/{line.id}/match", data={"receivable": ["99999"]},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Receivable 99999 was not found" in html
    assert client.get("/finance/reconcile/line/99999").status_code == 404


def test_a_flag_is_explained_from_the_list_and_shown_on_the_dashboard(db, client, login_as, store, account):
    order = order_in(store, PENDING_SHIPMENT)
    import_file(None, account, "s.sta", mt940([(day(order), "C", cents(order.total - 1), order.number, "SHORT")]))
    flag = db.session.execute(select(Flag)).scalar_one()
    login_as("finance")
    dashboard = client.get("/").get_data(as_text=True)
    assert 'data-testid="finance-widget"' in dashboard and "amount received differs" in dashboard
    html = client.post(f"/finance/flags/{flag.id}/status", data={"status": "explained", "reason": ""},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="flag-error"' in html and db.session.get(Flag, flag.id).status == "open"
    client.post(f"/finance/flags/{flag.id}/status", data={"status": "explained", "reason": "Bank fee"},
                headers={"HX-Request": "true"})
    assert db.session.get(Flag, flag.id).status == "explained"
    assert f'data-testid="flag-row-{flag.id}"' not in client.get("/finance/flags/").get_data(as_text=True)
    assert f'data-testid="flag-row-{flag.id}"' in client.get("/finance/flags/?status=explained").get_data(
        as_text=True)


def test_accounts_are_added_and_their_mapping_saved(db, client, login_as):
    login_as("finance")
    bad = client.post("/finance/accounts/new", data={"code": "X", "name": "", "kind": "bank", "currency": "CNY"})
    assert 'data-testid="form-error"' in bad.get_data(as_text=True)
    response = client.post("/finance/accounts/new", data={"code": "hsbc-eur", "name": "HSBC", "kind": "bank",
                                                         "currency": "EUR", "methods": "Bank_Transfer, card"})
    assert response.status_code == 302
    account = db.session.execute(select(Account).where(Account.code == "HSBC-EUR")).scalar_one()
    assert account.methods == "bank_transfer,card"
    client.post(f"/finance/accounts/{account.id}/mapping", data={"map_date": "Date", "map_amount": "Amount",
                                                                 "map_date_format": "%Y-%m-%d"})
    assert db.session.get(Account, account.id).csv_mapping["amount"] == "Amount"
    result = _upload(client, account, "bank.csv", b"Date,Amount\n2026-03-01,10.00\n").get_data(as_text=True)
    assert "1 line stored" in result


def test_switched_off_pages_answer_404_and_leave_the_menu(db, client, login_as, account):
    login_as("finance")
    assert 'href="/finance/' in client.get("/").get_data(as_text=True)
    kernel().set_enabled("finance", False)
    db.session.flush()
    try:
        for url in PAGES:
            assert client.get(url).status_code == 404, url
        assert 'href="/finance/' not in client.get("/").get_data(as_text=True)
    finally:
        kernel().set_enabled("finance", True)
