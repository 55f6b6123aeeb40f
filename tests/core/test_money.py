"""Money: exact Decimal arithmetic, currencies, dated rates, conversion to the
reporting currency, the rates CSV import (and its traps), and the page."""
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import money, rates_csv, settings
from portal.models import AuditLog, Currency, ExchangeRate

D = Decimal
DAY = date(2026, 1, 5)


def count_rates(db):
    return db.session.execute(select(func.count()).select_from(ExchangeRate)).scalar()


def csv_bytes(*lines):
    return ("\n".join(lines) + "\n").encode()


# -- amounts ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("12.30", D("12.30")), (" 7 ", D("7")), ("1,234,567.89", D("1234567.89")), ("-0.5", D("-0.5")), (3, D(3)),
])
def test_to_decimal_accepts(raw, expected):
    assert money.to_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["7,12", "1,23,456", "1e5", "NaN", "Infinity", "", "12 abc", None, "１２"])
def test_to_decimal_refuses_and_names_the_field(db, raw):
    with pytest.raises(money.MoneyError, match="^price: "):
        money.to_decimal(raw, "price")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        money.to_decimal(0.1)


def test_rounding_follows_the_currencys_minor_unit(db):
    assert money.quantize(D("0.005"), "CNY") == D("0.01")
    assert money.quantize(D("2.5"), "JPY") == D("3")
    assert money.quantize(D("1.0005"), "BHD") == D("1.001")  # three decimals
    assert str(money.quantize(D("10"), "CNY")) == "10.00"


# -- currencies -----------------------------------------------------------------------------

def test_only_current_currencies_start_active(db):
    assert db.session.get(Currency, "CNY").active and db.session.get(Currency, "EUR").active
    assert not db.session.get(Currency, "DEM").active  # Deutsche Mark: historic
    assert not db.session.get(Currency, "XAU").active  # gold: not tender


def test_deactivating_refuses_the_reporting_and_merchant_currencies(db, factories):
    with pytest.raises(money.MoneyError, match="CNY is the reporting currency"):
        money.set_currency_active("CNY", False)
    factories.merchant(code="EURO1", default_currency="EUR")
    with pytest.raises(money.MoneyError, match="EUR is the default currency of merchant\\(s\\) EURO1"):
        money.set_currency_active("EUR", False)
    money.set_currency_active("SEK", False, actor="tester")
    assert not db.session.get(Currency, "SEK").active
    assert db.session.execute(select(AuditLog.action).where(AuditLog.target == "SEK")).scalars().all() == [
        "currency.deactivate"]


# -- rates and conversion ---------------------------------------------------------------------

def test_conversion_is_exact_in_both_directions(db):
    money.set_rate("USD", "CNY", DAY, "7.1234")
    assert money.convert(D("100.00"), "USD", "CNY", DAY) == D("712.34")
    assert money.convert(D("712.34"), "CNY", "USD", DAY) == D("100.00")  # from the inverse rate
    assert money.convert(D("1"), "CNY", "USD", DAY) == D("0.14")
    assert money.convert("0.01", "USD", "CNY", DAY) == D("0.07")  # 0.071234 rounds down
    assert money.convert(D("5"), "CNY", "CNY") == D("5.00")


def test_rates_are_stored_exactly(db):
    money.set_rate("USD", "JPY", DAY, "156.123456789")
    money.set_rate("EUR", "USD", DAY, "0.0000000001")
    db.session.expire_all()  # read back from the database, not from the session
    assert money.rate("USD", "JPY", DAY) == D("156.123456789")
    assert money.rate("EUR", "USD", DAY) == D("0.0000000001")


def test_the_latest_rate_on_or_before_the_day_applies(db):
    money.set_rate("USD", "CNY", date(2026, 1, 1), "7.10")
    money.set_rate("USD", "CNY", date(2026, 1, 3), "7.20")
    assert money.find_rate("USD", "CNY", date(2026, 1, 2)) == (D("7.10"), date(2026, 1, 1))
    assert money.rate("USD", "CNY", date(2026, 1, 9)) == D("7.20")
    with pytest.raises(money.MoneyError, match="No exchange rate from USD to CNY on or before 2025-12-31"):
        money.rate("USD", "CNY", date(2025, 12, 31))
    assert money.latest_rates_to("CNY", ["USD", "EUR"], date(2026, 1, 2)) == {"USD": (D("7.10"), date(2026, 1, 1))}


def test_to_reporting_follows_the_setting(db):
    money.set_rate("USD", "CNY", DAY, "7.1234")
    assert money.to_reporting(D("100"), "USD", DAY) == D("712.34")
    settings.set_value("core.reporting_currency", "USD")
    assert money.to_reporting(D("712.34"), "CNY", DAY) == D("100.00")


def test_entering_the_same_pair_and_day_replaces_the_rate(db):
    _row, created = money.set_rate("usd", "cny", "2026-01-05", "7.1", actor="tester")
    assert created
    _row, created = money.set_rate("USD", "CNY", DAY, "7.2", actor="tester")
    assert not created
    assert count_rates(db) == 1 and money.rate("USD", "CNY", DAY) == D("7.2")
    summaries = db.session.execute(select(AuditLog.summary).where(AuditLog.action == "currency.rate_set")
                                   .order_by(AuditLog.id)).scalars().all()
    assert summaries == ['{"from": null, "source": "manual", "to": "7.1"}',
                         '{"from": "7.1", "source": "manual", "to": "7.2"}']


@pytest.mark.parametrize("args, message", [
    (("USD", "CNY", DAY, "-7"), "rate: must be greater than zero."),
    (("USD", "CNY", DAY, "0"), "rate: must be greater than zero."),
    (("USD", "CNY", DAY, "7,12"), "rate: '7,12' is not a number"),
    (("USD", "CNY", DAY, "7.12345678901"), "rate: at most 10 digits after the decimal point."),
    (("USD", "CNY", DAY, "1234567.123456789"), "rate: at most 15 significant digits."),
    (("USD", "USD", DAY, "1"), "quote: must differ from base (USD)."),
    (("USD", "XYZ", DAY, "1"), "quote: 'XYZ' is not a known currency code"),
    (("USD", "CNY", "05/01/2026", "7"), "date: '05/01/2026' is not a date (write it as YYYY-MM-DD)."),
    (("USD", "CNY", "2026-02-30", "7"), "date: '2026-02-30' is not a date"),
])
def test_bad_rates_name_the_field_and_write_nothing(db, args, message):
    with pytest.raises(money.MoneyError) as caught:
        money.set_rate(*args)
    assert str(caught.value).startswith(message)
    assert count_rates(db) == 0


# -- CSV import ---------------------------------------------------------------------------------

GOOD = csv_bytes("date,base,quote,rate", "2026-01-05,USD,CNY,7.1234", "2026-01-05,EUR,CNY,7.8012",
                 "2026-01-06,USD,CNY,7.1300")


def test_import_then_reimport_updates_instead_of_duplicating(db):
    result = rates_csv.import_rates(GOOD, actor="tester", filename="rates.csv")
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert money.rate("EUR", "CNY", DAY) == D("7.8012")
    result = rates_csv.import_rates(GOOD)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    changed = GOOD.replace(b"7.8012", b"7.9")
    result = rates_csv.import_rates(changed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert count_rates(db) == 3 and money.rate("EUR", "CNY", DAY) == D("7.9")
    assert db.session.execute(select(func.count()).where(AuditLog.action == "currency.rates_import")).scalar() == 3


def test_columns_in_any_order_with_a_bom_and_extra_columns(db):
    data = "\ufeffRate, Quote ,base,Date,note\r\n7.1234,cny,usd,2026-01-05,from the bank\r\n\r\n".encode()
    rows, errors = rates_csv.parse_rates_csv(data)
    assert errors == []
    assert [(r.line, r.day, r.base, r.quote, r.rate) for r in rows] == [(2, DAY, "USD", "CNY", D("7.1234"))]


def errors_of(data):
    rows, errors = rates_csv.parse_rates_csv(data)
    return [(e.line, e.column, e.message) for e in errors]


def test_every_bad_row_is_reported_with_row_and_column(db):
    data = csv_bytes("date,base,quote,rate",
                     "2026-01-05,USD,CNY,7.1",          # row 2: fine
                     "2026-13-01,USD,CNY,7.1",          # row 3: bad date
                     "2026-01-05,USD,XYZ,7.1",          # row 4: unknown currency
                     "2026-01-06,EUR,CNY,-1",           # row 5: negative rate
                     "2026-01-05,USD,CNY,7.2",          # row 6: duplicates row 2
                     "2026-01-07,CNY,CNY,1",            # row 7: same currency twice
                     "2026-01-07,EUR")                   # row 8: short line
    assert errors_of(data) == [
        (3, "date", "'2026-13-01' is not a date (write it as YYYY-MM-DD)."),
        (4, "quote", "'XYZ' is not a known currency."),
        (5, "rate", "must be greater than zero."),
        (6, "date", "row 2 already has USD/CNY on 2026-01-05."),
        (7, "quote", "must differ from base (CNY)."),
        (8, "quote", "an empty value is not a known currency."),
        (8, "rate", "an empty value is not a number (write it like 7.1234)."),
    ]
    with pytest.raises(rates_csv.RateImportError) as caught:
        rates_csv.import_rates(data)
    assert len(caught.value.errors) == 7
    assert str(caught.value.errors[0]) == "Row 3, column date: '2026-13-01' is not a date (write it as YYYY-MM-DD)."
    assert count_rates(db) == 0  # all or nothing: row 2 was fine, and is not there either


@pytest.mark.parametrize("data, expected", [
    (csv_bytes("date,base,rate", "2026-01-05,USD,7.1"), [(1, "quote", "the column is missing from the header row.")]),
    (csv_bytes("date,base,quote,rate,rate", "2026-01-05,USD,CNY,7,7"),
     [(1, "rate", "the column appears twice in the header row.")]),
    ("date,base,quote,rate\n2026-01-05,USD,CNY,7.1\n2026-01-06,EUR,CNY,7.8\n".encode("utf-16"),
     [(1, "", 'the file is not UTF-8 text; save it as "CSV UTF-8" and upload it again.')]),
    (csv_bytes("date,base,quote,rate", "2026-01-05,USD,CNY,7.1", "2026-01-06,EUR,CNY,caf\xe9").replace(
        b"caf\xc3\xa9", b"caf\xe9"), [(3, "", 'the file is not UTF-8 text; save it as "CSV UTF-8" and upload it again.')]),
    (b"", [(1, "", "the file is empty; the first row must name the columns date, base, quote, rate.")]),
    (csv_bytes("date,base,quote,rate"), [(2, "", "the file has a header row but no rates.")]),
])
def test_file_level_traps(db, data, expected):
    assert errors_of(data) == expected
    with pytest.raises(rates_csv.RateImportError):
        rates_csv.import_rates(data)
    assert count_rates(db) == 0


# -- the page -------------------------------------------------------------------------------------

def test_finance_enters_a_rate_and_sees_it(client, login_as, db):
    login_as("finance")
    r = client.post("/currencies/rates", data={"base": "USD", "quote": "CNY", "day": "2026-01-05", "rate": "7.1234"})
    assert r.status_code == 302
    html = client.get("/currencies/rates?base=USD").get_data(as_text=True)
    assert "Rate USD/CNY on 2026-01-05 saved: 7.1234." in html and ">7.1234</td>" in html


def test_a_bad_rate_is_shown_and_nothing_is_saved(client, login_as, db):
    login_as("finance")
    r = client.post("/currencies/rates", data={"base": "USD", "quote": "CNY", "day": "2026-01-05", "rate": "-3"})
    assert r.status_code == 200
    assert "rate: must be greater than zero." in r.get_data(as_text=True)
    assert count_rates(db) == 0


def test_rate_list_filters_by_pair_and_pages(client, login_as, db):
    for i in range(55):  # 2026-01-01 ... 2026-02-24, newest first on the page
        money.set_rate("USD", "CNY", date.fromordinal(date(2026, 1, 1).toordinal() + i), f"7.{i + 100}")
    money.set_rate("EUR", "CNY", DAY, "7.8")
    login_as("finance")
    html = client.get("/currencies/rates?base=EUR").get_data(as_text=True)
    assert ">7.8</td>" in html and ">7.154</td>" not in html
    first = client.get("/currencies/rates?base=USD&quote=CNY").get_data(as_text=True)
    assert "55 records" in first and ">7.154</td>" in first and ">7.1</td>" not in first
    second = client.get("/currencies/rates?base=USD&quote=CNY&page=2", headers={"HX-Request": "true"})
    html = second.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="rate-rows">') and "<html" not in html
    assert ">7.1</td>" in html and ">7.154</td>" not in html and "Page 2 / 2" in html


def test_csv_upload_preview_then_import(client, login_as, db):
    login_as("finance")
    bad = csv_bytes("date,base,quote,rate", "2026-01-05,USD,CNY,7.1", "2026/01/06,USD,CNY,7.2")
    r = client.post("/currencies/rates/import", data={"file": (io.BytesIO(bad), "bad.csv")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "1 problem in bad.csv; nothing was imported." in html
    assert "<td>3</td><td>date</td>" in html and count_rates(db) == 0
    r = client.post("/currencies/rates/import", data={"file": (io.BytesIO(GOOD), "good.csv")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert "3 rates in good.csv are ready to import." in html and count_rates(db) == 0
    content = GOOD.decode()
    r = client.post("/currencies/rates/import", data={"confirm": "1", "content": content, "filename": "good.csv"})
    assert r.status_code == 302 and count_rates(db) == 3
    assert "Imported good.csv: 3 new, 0 changed, 0 unchanged." in client.get("/currencies/rates").get_data(as_text=True)


def test_non_utf8_upload_is_explained(client, login_as, db):
    login_as("finance")
    data = "date,base,quote,rate\n2026-01-05,USD,CNY,7.1\n".encode("gbk") + "备注".encode("gbk")
    r = client.post("/currencies/rates/import", data={"file": (io.BytesIO(data), "rates.csv")},
                    content_type="multipart/form-data")
    assert "the file is not UTF-8 text" in r.get_data(as_text=True) and count_rates(db) == 0


def test_currency_toggle_by_htmx_and_refusal_in_the_row(client, login_as, db):
    login_as("finance")
    r = client.post("/currencies/SEK/active", data={"active": "0"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'id="currency-SEK"' in r.get_data(as_text=True)
    assert not db.session.get(Currency, "SEK").active
    r = client.post("/currencies/CNY/active", data={"active": "0"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "CNY is the reporting currency" in r.get_data(as_text=True)
    assert db.session.get(Currency, "CNY").active


def test_currency_list_shows_rates_to_the_reporting_currency(client, login_as, db):
    money.set_rate("CNY", "USD", DAY, "0.14")  # only the inverse is stored
    login_as("finance")
    html = client.get("/currencies/?q=usd").get_data(as_text=True)
    assert 'id="currency-USD"' in html and "7.14285714" in html and "(2026-01-05)" in html


def test_convert_to_reporting_currency(client, login_as, db):
    money.set_rate("USD", "CNY", DAY, "7.1234")
    login_as("finance")
    r = client.get("/currencies/convert?amount=100&currency=USD&day=2026-01-06", headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert '<span id="conversion-value">712.34</span> CNY' in html and "Rate 7.1234 of 2026-01-05" in html
    r = client.get("/currencies/convert?amount=100&currency=USD&day=2025-01-01", headers={"HX-Request": "true"})
    assert "No exchange rate from USD to CNY on or before 2025-01-01." in r.get_data(as_text=True)


def test_read_only_users_cannot_change_rates(client, login_as, factories, db):
    login_as("merchant_admin", merchant=factories.merchant())  # core.currency: read
    assert client.get("/currencies/").status_code == 200
    assert client.get("/currencies/rates").status_code == 200
    assert client.post("/currencies/rates", data={"base": "USD", "quote": "CNY", "day": "2026-01-05",
                                                  "rate": "7"}).status_code == 403
    assert client.get("/currencies/rates/import").status_code == 403
    assert client.post("/currencies/SEK/active", data={"active": "0"}).status_code == 403
    assert count_rates(db) == 0


def test_an_unreadable_csv_line_is_named(db):
    data = csv_bytes("date,base,quote,rate", "2026-01-05,USD,CNY," + "7" * 200000)
    assert errors_of(data) == [(2, "", "this is not a readable CSV line (field larger than field limit (131072)).")]
