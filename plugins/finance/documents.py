"""The settlement statement: one PDF per settlement (merchant, period,
currency), in English and Chinese side by side (it goes to the merchant,
whatever the language of the staff member who prints it), with page numbers,
issued once and served byte for byte afterwards.

A statement short enough to render quickly is issued on its first request;
a longer one (more than ``LINES_IN_REQUEST`` lines, about five pages) is
issued by the scheduled job ``finance.issue_statements`` so no request waits
for it."""
from decimal import Decimal

from sqlalchemy import func, select

from portal import documents
from portal.documents import DocumentKind
from portal.extensions import db
from portal.i18n import N_
from portal.models import IssuedDocument, utcnow
from portal.money import quantize

from .models import Settlement, SettlementLine

STATEMENT = DocumentKind("finance.settlement_statement", N_("Settlement statement"),
                         "finance/documents/statement.html")
KINDS = [STATEMENT]
LINES_IN_REQUEST = 150

LABELS = {
    "statement": ("Settlement statement", "结算单"), "number": ("Number", "编号"), "period": ("Period", "结算周期"),
    "merchant": ("Merchant", "商户"), "issued": ("Issued", "出具日期"), "summary": ("Summary", "汇总"),
    "captured": ("Captured", "收款"), "refunded": ("Refunded", "退款"), "commission": ("Commission", "佣金"),
    "fees": ("Provider fees", "支付手续费"), "payout": ("Payout", "应付金额"),
    "lines": ("Orders", "订单明细"), "order": ("Order", "订单"), "kind": ("Type", "类型"),
    "sale": ("Sale", "销售"), "refund": ("Refund", "退款"), "currency": ("Currency", "币种"),
    "status": ("Status", "状态"),
}


def money(amount, currency):
    return f"{quantize(Decimal(amount), currency):,}"


def find_statement(settlement):
    return documents.find_issued(STATEMENT, settlement.number)


def renders_in_request(settlement):
    """Is the statement short enough to be issued while the user waits?"""
    count = db.session.execute(select(func.count()).select_from(SettlementLine)
                               .where(SettlementLine.settlement_id == settlement.id)).scalar()
    return count <= LINES_IN_REQUEST


def issue_statement(actor, settlement):
    """The settlement's statement, rendered and stored the first time. Does not commit."""
    return documents.issue(STATEMENT, settlement.number, lambda: render_statement(settlement),
                           merchant_id=settlement.merchant_id, actor=actor)


def render_statement(settlement):
    """The PDF bytes of a settlement's statement."""
    return documents.render_pdf(STATEMENT.template, settlement=settlement, merchant=settlement.merchant,
                                lines=settlement.lines, labels=LABELS, money=money, issued_on=utcnow().date())


def issue_waiting(limit=20):
    """The scheduled job: issue the statements nobody has issued yet, oldest first."""
    issued = select(IssuedDocument.reference).where(IssuedDocument.kind == STATEMENT.name)
    waiting = db.session.execute(select(Settlement).where(Settlement.number.not_in(issued))
                                 .order_by(Settlement.id).limit(limit)).scalars().all()
    for settlement in waiting:
        issue_statement(None, settlement)
    return len(waiting)
