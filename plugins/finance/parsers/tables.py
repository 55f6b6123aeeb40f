"""Statement formats that are tables: Stripe's balance-transaction export,
Alipay's account bill (账务明细), WeChat Pay's trade bill (交易账单) and any
bank's CSV read through a saved column mapping.

The Chinese bills come in GBK or UTF-8 with ``#`` header and footer lines
(Alipay) or a totals block after the rows (WeChat), and amounts carrying
prefixes: ``+``/``-``, ``¥``, and WeChat's backtick that keeps spreadsheets
from reading numbers as formulas."""
import csv
import re
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _

from .base import ParsedLine, ParsedStatement, StatementFileError, decimal_amount, make_date

PREFIXES = "`'¥￥+ \t"


def _clean(cell):
    return (cell or "").strip().lstrip("`'").strip().strip("\t")


def _money(cell, line, field_name):
    text = _clean(cell).replace("¥", "").replace("￥", "").replace("元", "")
    negative = text.startswith("-")
    value = decimal_amount(text.lstrip("+-"), line, ".", field_name) if text.lstrip("+-") else Decimal("0")
    return -value if negative else value


def _day(cell, line, formats=("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d %H:%M",
                               "%Y/%m/%d %H:%M")):
    text = _clean(cell)
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    match = re.match(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text)
    if match:  # a date the calendar does not have (2024-02-30) is named as such
        return make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), line, text)
    raise StatementFileError(_("%(value)r is not a date.", value=text), line)


def _rows(text, delimiter=","):
    """``(line_number, cells)`` for every non-empty line."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            yield number, next(csv.reader([raw], delimiter=delimiter))


def _index(header, names, line, required=True):
    cleaned = [_clean(h).lower() for h in header]
    for name in names:
        if name.lower() in cleaned:
            return cleaned.index(name.lower())
    if required:
        raise StatementFileError(_("the column %(name)s is missing from the header.", name=names[0]), line)
    return None


def _cell(cells, index):
    return cells[index] if index is not None and index < len(cells) else ""


# -- Stripe --------------------------------------------------------------------------

STRIPE_ID = ("balance_transaction_id", "id")
STRIPE_GROSS = ("gross", "amount")


def looks_like_stripe(text):
    header = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    return ("fee" in header and "net" in header and ("gross" in header or "amount" in header)
            and ("balance_transaction_id" in header or header.startswith("id,") or header.startswith('"id"')))


def parse_stripe(text):
    """Stripe's balance transactions: gross, fee and net per row; each row is
    checked (gross - fee = net). The export has no balances."""
    rows = _rows(text.lstrip("\ufeff"))
    header_line, header = next(rows, (0, []))
    cols = {key: _index(header, names, header_line, required) for key, names, required in (
        ("id", STRIPE_ID, True), ("gross", STRIPE_GROSS, True), ("fee", ("fee",), True), ("net", ("net",), True),
        ("currency", ("currency",), True), ("created", ("created_utc", "created (utc)", "created"), True),
        ("description", ("description",), False), ("source", ("source_id", "source"), False),
        ("type", ("reporting_category", "type"), False))}
    lines, currencies = [], set()
    for number, cells in rows:
        gross = _money(_cell(cells, cols["gross"]), number, "gross")
        fee = _money(_cell(cells, cols["fee"]), number, "fee")
        net = _money(_cell(cells, cols["net"]), number, "net")
        if gross - fee != net:
            raise StatementFileError(_("gross %(gross)s minus fee %(fee)s is not the net %(net)s.",
                                       gross=gross, fee=fee, net=net), number)
        currency = _clean(_cell(cells, cols["currency"])).upper()
        currencies.add(currency)
        lines.append(ParsedLine(line=number, booked_on=_day(_cell(cells, cols["created"]), number), amount=gross,
                                fee=fee, currency=currency, reference=_clean(_cell(cells, cols["source"])),
                                bank_ref=_clean(_cell(cells, cols["id"])),
                                description=" ".join(p for p in (_clean(_cell(cells, cols["type"])),
                                                                 _clean(_cell(cells, cols["description"]))) if p)))
    return [_without_balances(lines, currencies, header_line)]


def _without_balances(lines, currencies, line):
    if not lines:
        raise StatementFileError(_("The file has a header but no transactions."), line)
    if len(currencies) > 1:
        raise StatementFileError(_("The file mixes currencies (%(codes)s); export one currency per file.",
                                   codes=", ".join(sorted(currencies))), line)
    days = [entry.booked_on for entry in lines]
    return ParsedStatement(line=line, currency=currencies.pop(), starts_on=min(days), ends_on=max(days),
                           lines=lines)


# -- Alipay --------------------------------------------------------------------------

ALIPAY_MARK = "支付宝"


def looks_like_alipay(text):
    head = text[:2000]
    return ALIPAY_MARK in head and ("账务流水号" in head or "账务明细" in head)


def parse_alipay(text):
    """Alipay's account bill: ``#`` lines around a table whose income and
    expense columns carry signs and whose running balance gives the
    statement's opening and closing balances."""
    header_line, header, lines, balances = 0, None, [], []
    for number, cells in _rows(text.lstrip("\ufeff")):
        if cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header_line, header = number, cells
            cols = {key: _index(header, names, number, required) for key, names, required in (
                ("id", ("账务流水号",), True), ("order", ("商户订单号",), False), ("time", ("发生时间",), True),
                ("party", ("对方账号",), False), ("income", ("收入金额（+元）", "收入金额(+元)"), True),
                ("expense", ("支出金额（-元）", "支出金额(-元)"), True),
                ("balance", ("账户余额（元）", "账户余额(元)"), True), ("kind", ("业务类型",), False),
                ("note", ("备注",), False), ("item", ("商品名称",), False))}
            continue
        income = _money(_cell(cells, cols["income"]), number, "收入金额")
        expense = abs(_money(_cell(cells, cols["expense"]), number, "支出金额"))
        amount = income - expense
        balances.append(_money(_cell(cells, cols["balance"]), number, "账户余额"))
        if len(balances) == 1:
            opening = balances[0] - amount
        lines.append(ParsedLine(line=number, booked_on=_day(_cell(cells, cols["time"]), number), amount=amount,
                                currency="CNY", reference=_clean(_cell(cells, cols["order"])),
                                bank_ref=_clean(_cell(cells, cols["id"])),
                                counterparty=_clean(_cell(cells, cols["party"])),
                                description=" ".join(p for p in (_clean(_cell(cells, cols["kind"])),
                                                                 _clean(_cell(cells, cols["item"])),
                                                                 _clean(_cell(cells, cols["note"]))) if p)))
    if header is None or not lines:
        raise StatementFileError(_("The Alipay bill has no transactions."), header_line)
    statement = _without_balances(lines, {"CNY"}, header_line)
    statement.opening, statement.closing = opening, balances[-1]
    statement.opening_currency = statement.closing_currency = "CNY"
    return [statement]


# -- WeChat Pay ----------------------------------------------------------------------

def looks_like_wechat(text):
    head = text[:2000]
    return "微信订单号" in head and "商户订单号" in head


def parse_wechat(text):
    """WeChat Pay's trade bill: rows of payments (交易状态 SUCCESS) and refunds
    (REFUND) with the fee per row, then a totals block the rows must add up to."""
    rows = list(_rows(text.lstrip("\ufeff")))
    if not rows:
        raise StatementFileError(_("The WeChat Pay bill is empty."))
    header_line, header = rows[0]
    cols = {key: _index(header, names, header_line, required) for key, names, required in (
        ("time", ("交易时间",), True), ("wx", ("微信订单号",), True), ("order", ("商户订单号",), True),
        ("status", ("交易状态",), True), ("currency", ("货币种类",), False),
        ("amount", ("应结订单金额",), True), ("refund", ("退款金额",), True), ("fee", ("手续费",), True),
        ("item", ("商品名称",), False))}
    lines, totals_at = [], None
    for position, (number, cells) in enumerate(rows[1:], start=1):
        if _clean(cells[0]).startswith("总交易单数"):
            totals_at = position
            break
        status = _clean(_cell(cells, cols["status"])).upper()
        refund = status == "REFUND"
        amount = -_money(_cell(cells, cols["refund"]), number, "退款金额") if refund else \
            _money(_cell(cells, cols["amount"]), number, "应结订单金额")
        currency = {"CNY": "CNY", "": "CNY"}.get(_clean(_cell(cells, cols["currency"])).upper(),
                                                 _clean(_cell(cells, cols["currency"])).upper())
        lines.append(ParsedLine(line=number, booked_on=_day(_cell(cells, cols["time"]), number), amount=amount,
                                fee=_money(_cell(cells, cols["fee"]), number, "手续费"), currency=currency,
                                reference=_clean(_cell(cells, cols["order"])),
                                bank_ref=_clean(_cell(cells, cols["wx"])),
                                description=" ".join(p for p in (status, _clean(_cell(cells, cols["item"]))) if p)))
    statement = _without_balances(lines, {entry.currency for entry in lines}, header_line)
    statement.totals_problem = _wechat_totals(rows, totals_at, lines)
    return [statement]


def _wechat_totals(rows, totals_at, lines):
    """A problem with the totals block (missing, or the rows do not add up), or None."""
    if totals_at is None or totals_at + 2 > len(rows):
        return _("The bill has no totals block (总交易单数...), so its rows could not be checked against it.")
    number, names = rows[totals_at]
    values = dict(zip((_clean(n) for n in names), rows[totals_at + 1][1]))
    income = sum((e.amount for e in lines if e.amount > 0), Decimal("0"))
    refunds = -sum((e.amount for e in lines if e.amount < 0), Decimal("0"))
    fees = sum((e.fee for e in lines), Decimal("0"))
    expected = {"应结订单总金额": income, "退款总金额": refunds, "手续费总金额": fees}
    for name, total in expected.items():
        if name in values and _money(values[name], number, name) != total:
            return _("The rows add up to %(sum)s for %(name)s, the totals line says %(total)s.", sum=total,
                     name=name, total=_clean(values[name]))
    return None
