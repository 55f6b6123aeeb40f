"""Settlements and commission rules through the client: a merchant sees its
own settlements only, the statement PDF's text and fonts, approval, rules."""
import subprocess
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from plugins.finance.models import CommissionRule, Settlement
from plugins.finance.services.settlement import run_settlements
from plugins.orders.models import CLOSED
from portal import settings
from portal.models import AuditLog, IssuedDocument, utcnow
from tests.conftest import create_user
from tests.plugins.orders.helpers import order_in

NEXT_MONTH = (utcnow() + timedelta(days=40)).date()


def _settled(db, store, rule=True):
    if rule:
        db.session.add(CommissionRule(name="Standard", percent=Decimal("5"), fixed=Decimal("1.00"),
                                      valid_from=utcnow().date() - timedelta(days=400)))
    order_in(store, CLOSED)
    order_in(store, CLOSED)
    return run_settlements(None, today=NEXT_MONTH, merchant_ids=[store.m.id])[0]


def _pdf_tool(tmp_path, pdf, *args):
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    return subprocess.run([*args, str(path), "-"] if args[0] == "pdftotext" else [*args, str(path)],
                          check=True, capture_output=True, text=True).stdout


def test_a_merchant_sees_its_own_settlements_and_not_anothers(db, client, login_as, store):
    mine = _settled(db, store)
    other = Settlement(number="ST-OTHER-1", merchant_id=store.other.id, period_start=mine.period_start,
                       period_end=mine.period_end, currency="CNY")
    db.session.add(other)
    db.session.flush()
    login_as("merchant_admin", merchant=store.m)
    listing = client.get("/finance/settlements/").get_data(as_text=True)
    assert mine.number in listing and "ST-OTHER-1" not in listing
    assert client.get(f"/finance/settlements/{mine.id}").status_code == 200
    assert client.get(f"/finance/settlements/{other.id}").status_code == 404
    assert client.get(f"/finance/settlements/{other.id}/statement.pdf").status_code == 404
    assert client.post("/finance/settlements/run").status_code == 403
    assert client.get("/finance/rules/").status_code == 403


def test_the_statement_pdf_has_both_languages_every_line_and_is_stored(db, client, login_as, store, tmp_path):
    settlement = _settled(db, store)
    login_as("merchant_admin", merchant=store.m)
    response = client.get(f"/finance/settlements/{settlement.id}/statement.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_tool(tmp_path, response.data, "pdftotext", "-layout")
    for words in ("Settlement statement", "结算单", settlement.number, "Commission", "佣金", "Payout",
                  f"{settlement.payout:,.2f}", "Page 1 of 1"):
        assert words in text, words
    for line in settlement.lines:
        assert line.order_number in text
    fonts = _pdf_tool(tmp_path, response.data, "pdffonts")
    assert "NotoSansCJK" in fonts.replace("-", "") and "DejaVu" in fonts
    again = client.get(f"/finance/settlements/{settlement.id}/statement.pdf")
    assert again.data == response.data
    assert db.session.execute(select(IssuedDocument).where(IssuedDocument.reference == settlement.number)).scalar()


def test_a_large_payout_is_approved_by_a_second_person_on_its_page(db, client, login, store):
    settings.set_value("finance.payout_approval_above", "1", actor=None)
    runner = create_user("finance")
    order_in(store, CLOSED)
    settlement = run_settlements(runner, today=NEXT_MONTH, merchant_ids=[store.m.id])[0]
    db.session.commit()
    login(runner)
    assert settlement.status == "awaiting_approval"
    assert 'data-testid="approve"' not in client.get(f"/finance/settlements/{settlement.id}").get_data(as_text=True)
    client.post(f"/finance/settlements/{settlement.id}/approve")
    assert db.session.get(Settlement, settlement.id).status == "awaiting_approval"
    client.post("/logout")
    login(create_user("finance"))
    page = client.get(f"/finance/settlements/{settlement.id}").get_data(as_text=True)
    assert 'data-testid="approve"' in page
    client.post(f"/finance/settlements/{settlement.id}/approve")
    assert db.session.get(Settlement, settlement.id).status == "approved"


def test_rules_are_added_refused_with_a_message_and_deleted(db, client, login_as, store):
    login_as("finance")
    bad = client.post("/finance/rules/new", data={"name": "x", "percent": "abc", "valid_from": "2026-01-01",
                                                  "fee_bearer": "merchant"}).get_data(as_text=True)
    assert 'data-testid="form-error"' in bad and "Percent" in bad
    response = client.post("/finance/rules/new", data={
        "name": "Tea", "percent": "4.5", "fixed": "0.50", "merchant_id": str(store.m.id), "priority": "5",
        "valid_from": "2026-01-01", "valid_to": "2026-12-31", "fee_bearer": "platform"})
    assert response.status_code == 302
    rule = db.session.execute(select(CommissionRule)).scalar_one()
    assert (rule.percent, rule.fixed, rule.merchant_id, rule.fee_bearer) == (
        Decimal("4.5"), Decimal("0.50"), store.m.id, "platform")
    assert "Tea" in client.get("/finance/rules/").get_data(as_text=True)
    client.post(f"/finance/rules/{rule.id}/delete")
    assert db.session.get(CommissionRule, rule.id) is None
    actions = db.session.execute(select(AuditLog.action).where(AuditLog.plugin == "finance")).scalars().all()
    assert "finance.rule_created" in actions and "finance.rule_deleted" in actions


def test_settlements_page_lists_the_run_and_its_figures(db, client, login_as, store):
    settlement = _settled(db, store)
    login_as("finance")
    html = client.get("/finance/settlements/").get_data(as_text=True)
    assert f'data-testid="settlement-row-{settlement.id}"' in html
    detail = client.get(f"/finance/settlements/{settlement.id}").get_data(as_text=True)
    assert f"{settlement.payout:,.2f}" in detail and 'data-testid="statement-pdf"' in detail


def test_payouts_are_exported_as_csv_by_payout_staff_only(db, client, login_as, store):
    settlement = _settled(db, store)
    db.session.commit()
    login_as("finance")
    response = client.post("/finance/settlements/payouts.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = response.data.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("settlement,merchant_code")
    assert rows[1].startswith(f"{settlement.number},{store.m.code},") and f",{settlement.payout:.2f},ready" in rows[1]
    assert db.session.execute(select(AuditLog.action).where(AuditLog.action == "finance.payouts_exported")).scalar()
    client.post("/logout")
    login_as("platform_operator")
    assert client.post("/finance/settlements/payouts.csv").status_code == 403
