"""The statement readers on every sample file written by a real bank or tool,
and on the provider formats (Stripe, Alipay, WeChat Pay) and mapped CSV."""
from datetime import date
from decimal import Decimal

import pytest

from plugins.finance.parsers import ColumnMapping, StatementFileError, decode, read
from plugins.finance.services.importing import balance_problem
from tests.plugins.finance.helpers import sample

# file -> (format, statements, lines in all, statements that do not balance)
READABLE = {
    "betterplace-sepa_mt9401.sta": ("mt940", 26, 97, 0),
    "betterplace-with_binary_character.sta": ("mt940", 2, 4, 0),
    "cmxl-mt940.sta": ("mt940", 3, 16, 0),
    "jejik-abnamro.sta": ("mt940", 2, 10, 2),
    "jejik-ing.sta": ("mt940", 1, 7, 1),
    "jejik-knab.sta": ("mt940", 2, 3, 1),
    "jejik-postfinance.sta": ("mt940", 2, 4, 1),
    "jejik-rabobank.sta": ("mt940", 4, 5, 2),
    "jejik-triodos.sta": ("mt940", 1, 2, 1),
    "mBank-mt940.sta": ("mt940", 1, 3, 0),
    "sberbank-171011_01234945.sta": ("mt940", 1, 3, 0),
    "camt053.v2.all-balance-types.xml": ("camt053", 1, 1, 1),
    "camt053.v2.five.decimals.xml": ("camt053", 1, 1, 1),
    "camt053.v2.minimal.xml": ("camt053", 1, 1, 1),
    "camt053.v2.multi.statement.xml": ("camt053", 2, 2, 0),
    "camt053.v2.with-party-ids.xml": ("camt053", 1, 1, 1),
    "camt053.v3.xml": ("camt053", 1, 1, 1),
    "camt053.v4.xml": ("camt053", 1, 1, 1),
    "camt053.v8.xml": ("camt053", 1, 1, 1),
}
REFUSED = {
    "betterplace-amount_formats.sta": "format could not be told",
    "mBank-mt942.sta": "MT942 interim report",
    "self-provided-february_30.sta": "Line 6: 160230 is not a real date",
    "camt053.v2.wrong.xml": "Line 3: The file has a group header but no statement",
}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_every_readable_sample_is_read_and_its_balances_checked(app, name):
    kind, statements_n, lines_n, unbalanced_n = READABLE[name]
    with app.test_request_context():
        found, encoding, statements = read(sample(name))
        problems = [balance_problem(s, s.currency) for s in statements]
    assert (found, len(statements), sum(len(s.lines) for s in statements)) == (kind, statements_n, lines_n)
    assert sum(1 for p in problems if p) == unbalanced_n
    assert encoding == "UTF-8"


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_broken_samples_are_refused_saying_why(app, name):
    with app.test_request_context(), pytest.raises(StatementFileError) as refused:
        read(sample(name))
        pytest.fail("read")
    with app.test_request_context():
        assert REFUSED[name] in str(refused.value)


def test_abn_amro_does_not_balance_and_says_by_how_much(app):
    with app.test_request_context():
        _kind, _enc, statements = read(sample("jejik-abnamro.sta"))
        problem = balance_problem(statements[0], "EUR")
    assert "3236.28" in problem and "2914.84" in problem and "876.84" in problem


def test_mt940_details_signs_reversals_and_binary_characters(app):
    with app.test_request_context():
        _k, _e, sepa = read(sample("betterplace-sepa_mt9401.sta"))
        _k, _e, binary = read(sample("betterplace-with_binary_character.sta"))
        _k, _e, mbank = read(sample("mBank-mt940.sta"))
    first = sepa[0]
    assert first.opening == Decimal("-1234718.36") and first.closing == Decimal("-1237628.23")
    # RC (reversal of a credit) takes money out; D is a debit
    assert [line.amount for line in first.lines][-2:] == [Decimal("-204.88"), Decimal("-999946.95")]
    assert binary[0].reference.startswith("STAR1ÜTßUMS")
    assert "PAYPAL" in binary[0].lines[0].description
    assert mbank[0].lines[0].amount == Decimal("0.01") and mbank[0].lines[0].bank_ref == "MB170119012058"
    assert mbank[0].lines[0].booked_on == date(2017, 1, 19)


def test_camt_reads_references_counterparties_and_several_statements(app):
    with app.test_request_context():
        _k, _e, multi = read(sample("camt053.v2.multi.statement.xml"))
        _k, _e, minimal = read(sample("camt053.v2.minimal.xml"))
    assert [s.reference for s in multi] == ["253EURNL26VAYB8060476890", "254EURNL26VAYB8060476890"]
    line = minimal[0].lines[0]
    assert (line.amount, line.currency, line.booked_on, line.reference) == (
        Decimal("8.85"), "EUR", date(2014, 12, 31), "4654654654654654")
    assert line.counterparty == "NAME NAME"
    with app.test_request_context():
        # the closing balance is in SEK while the statement is in EUR
        assert "SEK" in balance_problem(minimal[0], "EUR")


def test_camt_refuses_a_doctype(app):
    data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'
    with app.test_request_context(), pytest.raises(StatementFileError, match="DOCTYPE"):
        read(data)


def test_broken_xml_names_its_line(app):
    data = sample("camt053.v3.xml").replace(b"</Ntry>", b"</Ntr>", 1)
    with app.test_request_context(), pytest.raises(StatementFileError) as refused:
        read(data)
    assert str(refused.value).startswith("Line ")


STRIPE = b"""balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,source_id,description
txn_1,2026-03-01 10:00:00,2026-03-03 00:00:00,cny,100.00,3.20,96.80,charge,ch_A1,Order O1
txn_2,2026-03-02 11:00:00,2026-03-04 00:00:00,cny,-40.00,0.00,-40.00,refund,re_B2,Refund O1
"""


def test_stripe_gross_fee_and_net(app):
    with app.test_request_context():
        kind, _enc, statements = read(STRIPE)
    assert kind == "stripe"
    lines = statements[0].lines
    assert [(e.amount, e.fee, e.reference, e.currency) for e in lines] == [
        (Decimal("100.00"), Decimal("3.20"), "ch_A1", "CNY"), (Decimal("-40.00"), Decimal("0.00"), "re_B2", "CNY")]
    assert statements[0].opening is None


def test_stripe_row_whose_net_is_wrong_is_refused_by_line(app):
    with app.test_request_context(), pytest.raises(StatementFileError) as refused:
        read(STRIPE.replace(b"96.80", b"96.00"))
    with app.test_request_context():
        assert str(refused.value).startswith("Line 2:")


ALIPAY = """#支付宝账务明细查询
#账号：[20881234567890120156]
#起始日期：[2026年03月01日 00:00:00]   终止日期：[2026年03月02日 00:00:00]
#-----------------------------------------账务明细列表----------------------------------------
账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注,
20260301001\t,2026030122001\t,O2026030100001\t,茶壶,2026-03-01 10:00:00,buyer@example.test,+128.00,,1128.00,支付宝,在线支付,,
20260301002\t,2026030122002\t,O2026030100001\t,手续费,2026-03-01 10:00:00,,,-0.77,1127.23,支付宝,收费,,
#-----------------------------------------账务明细列表结束------------------------------------
#支出合计：1笔，共0.77元
#收入合计：1笔，共128.00元
#导出时间：[2026年03月02日 09:00:00]
"""


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_alipay_bill_in_gbk_or_utf8_with_running_balance(app, encoding):
    with app.test_request_context():
        kind, found, statements = read(ALIPAY.encode(encoding))
        problem = balance_problem(statements[0], "CNY")
    assert (kind, found) == ("alipay", "GBK" if encoding == "gbk" else "UTF-8")
    st = statements[0]
    assert (st.opening, st.closing, problem) == (Decimal("1000.00"), Decimal("1127.23"), "")
    assert [(e.amount, e.reference, e.line) for e in st.lines] == [
        (Decimal("128.00"), "O2026030100001", 6), (Decimal("-0.77"), "O2026030100001", 7)]


WECHAT = """交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
`2026-03-01 09:00:00,`wx01,`1900000109,`0,`,`4200001,`O2026030100002,`oUser,`NATIVE,`SUCCESS,`CMB_DEBIT,`CNY,`50.00,`0.00,`0,`0,`0.00,`0.00,`,`,`茶叶,`,`0.30,`0.60%,`50.00,`0.00,`
`2026-03-01 12:00:00,`wx01,`1900000109,`0,`,`4200001,`O2026030100002,`oUser,`NATIVE,`REFUND,`CMB_DEBIT,`CNY,`0.00,`0.00,`5000001,`R1,`20.00,`0.00,`ORIGINAL,`SUCCESS,`茶叶,`,`-0.12,`0.60%,`0.00,`20.00,`
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
`2,`50.00,`20.00,`0.00,`0.18,`50.00,`20.00
"""


def test_wechat_bill_with_backticks_refunds_fees_and_totals(app):
    with app.test_request_context():
        kind, encoding, statements = read(WECHAT.encode("gbk"))
        problem = balance_problem(statements[0], "CNY")
    assert (kind, encoding, problem) == ("wechat", "GBK", "")
    assert [(e.amount, e.fee, e.reference) for e in statements[0].lines] == [
        (Decimal("50.00"), Decimal("0.30"), "O2026030100002"), (Decimal("-20.00"), Decimal("-0.12"), "O2026030100002")]


def test_wechat_totals_that_disagree_are_a_balance_problem(app):
    with app.test_request_context():
        _k, _e, statements = read(WECHAT.replace("`2,`50.00,`20.00", "`2,`55.00,`20.00").encode("utf-8"))
        assert "55.00" in balance_problem(statements[0], "CNY")


def test_mapped_csv_with_credit_debit_and_balance(app):
    data = "Datum;Text;Ref;Haben;Soll;Saldo\n01.03.2026;Payment;O1;1.200,50;;2.200,50\n02.03.2026;Fee;;;0,50;2.200,00\n"
    mapping = ColumnMapping(date="Datum", credit="Haben", debit="Soll", reference="Ref", description="Text",
                            balance="Saldo", date_format="%d.%m.%Y", delimiter=";", decimal=",")
    with app.test_request_context():
        kind, _enc, statements = read(data.encode(), mapping, "EUR")
        assert balance_problem(statements[0], "EUR") == ""
    st = statements[0]
    assert kind == "csv" and (st.opening, st.closing) == (Decimal("1000.00"), Decimal("2200.00"))
    assert [e.amount for e in st.lines] == [Decimal("1200.50"), Decimal("-0.50")]


def test_mapped_csv_names_the_bad_row(app):
    data = b"Date,Amount\n2026-03-01,10.00\n2026-03-02,ten\n"
    with app.test_request_context(), pytest.raises(StatementFileError) as refused:
        read(data, ColumnMapping(date="Date", amount="Amount"), "CNY")
    with app.test_request_context():
        assert str(refused.value).startswith("Line 3:")


def test_unknown_format_and_unknown_encoding_are_said_clearly(app):
    with app.test_request_context():
        with pytest.raises(StatementFileError, match="format could not be told"):
            read(b"just,some,columns\n1,2,3\n")
        with pytest.raises(StatementFileError, match="neither UTF-8 nor GBK"):
            decode(b"\x80\x80\x80 not text")
        with pytest.raises(StatementFileError, match="binary"):
            decode(b"PK\x03\x04\x00\x00")
