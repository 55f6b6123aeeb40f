"""The orders' printed documents: an invoice per paid merchant order, a credit
note for a cancelled order's refunds, and packing slips per shipment.

Invoices and credit notes are numbered gap-free per merchant and year by the
core (``portal.documents.next_number``, issuer ``merchant:<id>``) and kept
once (``portal.documents.issue``): printing one again serves the stored bytes.
Packing slips are working papers for the warehouse: not numbered, not kept,
rendered from the shipment as it is now (so the tracking number appears once
it is shipped), and they carry no prices.

The labels are printed in English and Chinese side by side whatever the
reader's language: the document goes to a buyer, not to the staff member who
prints it, so they are fixed pairs (``LABELS``) rather than gettext strings.

No tax line: the orders keep no tax model (no rate, no tax amount), and a
printed rate the order never charged would misstate it.
"""
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from portal import access, documents
from portal.documents import DocumentKind
from portal.extensions import db
from portal.i18n import N_
from portal.models import IssuedDocument, utcnow
from portal.money import quantize

from .models import CANCELLED, PENDING_PAYMENT, REFUND, SHIPMENT_CANCELLED, SHIPMENT_SHIPPED, Payment
from .services.core import reach
from .services.errors import OrdersError, state_label

INVOICE_RESOURCE = "orders.invoice"
INVOICE = DocumentKind("orders.invoice", N_("Invoice"), "orders/documents/invoice.html", "INV-")
CREDIT_NOTE = DocumentKind("orders.credit_note", N_("Credit note"), "orders/documents/credit_note.html", "CN-")
# not numbered: a packing slip is identified by its order and shipment
PACKING_SLIP = DocumentKind("orders.packing_slip", N_("Packing slip"), "orders/documents/packing_slip.html")
KINDS = [INVOICE, CREDIT_NOTE, PACKING_SLIP]

LABELS = {
    "invoice": ("Invoice", "发票"), "credit_note": ("Credit note", "贷项通知单"),
    "packing_slip": ("Packing slip", "装箱单"), "number": ("Number", "编号"), "date": ("Date", "日期"),
    "order": ("Order", "订单"), "checkout": ("Checkout", "总订单"), "paid": ("Paid", "付款日期"),
    "seller": ("Seller", "销售方"), "buyer": ("Buyer", "购买方"), "ship_to": ("Ship to", "收货地址"),
    "merchant_code": ("Merchant code", "商户编号"), "country": ("Country", "国家/地区"),
    "sku": ("SKU", "商品编码"), "title": ("Item", "商品名称"), "qty": ("Qty", "数量"),
    "unit_price": ("Unit price", "单价"), "line_total": ("Amount", "金额"),
    "adjustments": ("Discounts and charges", "优惠与费用"), "source": ("Source", "来源"),
    "reason": ("Reason", "说明"), "goods": ("Goods", "商品金额"), "adjustments_total": ("Adjustments", "调整合计"),
    "total": ("Total", "合计"), "currency": ("Currency", "币种"), "amount": ("Amount", "金额"),
    "invoice_ref": ("Credits invoice", "对应发票"), "no_invoice": ("No invoice was issued for this order.",
                                                                 "此订单未开具发票。"),
    "refunds": ("Refunds", "退款"), "method": ("Method", "退款方式"), "credited": ("Total credited", "退款合计"),
    "cancelled": ("Cancelled", "取消日期"), "shipment": ("Shipment", "发货单"), "warehouse": ("Warehouse", "发货仓库"),
    "carrier": ("Carrier", "承运商"), "tracking": ("Tracking number", "运单号"), "status": ("Status", "状态"),
    "not_shipped": ("Not shipped yet", "尚未发货"),
    "replacement": ("Replacement for after-sales case", "售后换货补发，售后单"), "line": ("Line", "行"),
    "phone": ("Phone", "电话"), "customer_ref": ("Customer reference", "客户参考号"),
    "no_tax": ("No tax is charged separately on this order.", "本订单未单独计税。"),
}


class DocumentRefused(OrdersError):
    """The order cannot have this document (yet); the message says why."""


def money(amount, currency):
    """An amount in its currency's minor unit, grouped: ``1,234.50``."""
    return f"{quantize(Decimal(amount), currency):,}"


def issuer(order):
    """The numbering series of an order's documents: its merchant."""
    return f"merchant:{order.merchant_id}"


def is_paid(order):
    """Paid at some point (cancelled after payment included)."""
    return order.paid_at is not None and order.state != PENDING_PAYMENT


def refunds(order):
    """The order's refund rows, oldest first."""
    return db.session.execute(select(Payment).where(Payment.order_id == order.id, Payment.kind == REFUND)
                              .order_by(Payment.id)).scalars().all()


def find_invoice(order):
    """The order's issued invoice, or None."""
    return documents.find_issued(INVOICE, order.number)


def find_credit_note(order):
    """The order's issued credit note, or None."""
    return documents.find_issued(CREDIT_NOTE, order.number)


def invoice_refusal(order):
    """Why the order cannot have an invoice issued now, or None."""
    if not is_paid(order):
        return _("Order %(order)s is not paid yet (it is %(state)s); no invoice can be issued.",
                 order=order.number, state=state_label(order.state))
    return None


def credit_note_refusal(order):
    """Why the order cannot have a credit note issued now, or None."""
    if order.state != CANCELLED or not refunds(order):
        return _("Order %(order)s has no refund to credit (it is %(state)s); a credit note is issued for a "
                 "paid order that was cancelled.", order=order.number, state=state_label(order.state))
    return None


def issued_numbers(order):
    """``{"invoice": number, "credit_note": number}`` of the documents issued
    for the order, read without their bytes (for the order's page)."""
    names = {INVOICE.name: "invoice", CREDIT_NOTE.name: "credit_note"}
    rows = db.session.execute(select(IssuedDocument.kind, IssuedDocument.number).where(
        IssuedDocument.kind.in_(names), IssuedDocument.reference == order.number)).all()
    return {names[kind]: number for kind, number in rows}


def issue_invoice(actor, order, now=None):
    """The order's invoice, issued (numbered, rendered, stored, audited) the
    first time; later calls return the stored copy unchanged. Needs
    ``orders.invoice`` write on the order; ``DocumentRefused`` for an order
    that was never paid. Does not commit."""
    reach(actor, order, INVOICE_RESOURCE, "write")
    existing = find_invoice(order)
    if existing is not None:
        return existing
    problem = invoice_refusal(order)
    if problem:
        raise DocumentRefused(problem)
    return _issue(INVOICE, actor, order, now, lambda number, issued_on: _render(
        INVOICE, order, number, issued_on))


class BatchRefused(DocumentRefused):
    """Orders of a batch that cannot have their invoice; ``problems`` names each."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__(" ".join(problems))


def invoices_for(actor, orders, now=None):
    """The invoices of ``orders``, in the order given: the stored copy of each
    one issued before (never numbered again), a new one for the others,
    numbered in turn. All or nothing: ``BatchRefused`` names every order that
    cannot have its invoice (not paid; the actor may print but not issue)
    before any is issued. Does not commit."""
    problems = []
    for order in orders:
        if find_invoice(order) is not None:
            continue
        problem = invoice_refusal(order)
        if problem is None:
            try:
                reach(actor, order, INVOICE_RESOURCE, "write")
            except access.AccessDenied:
                problem = _("Order %(order)s has no invoice yet, and you may print issued invoices but not "
                            "issue one.", order=order.number)
        if problem:
            problems.append(problem)
    if problems:
        raise BatchRefused(problems)
    return [find_invoice(order) or issue_invoice(actor, order, now) for order in orders]


def issue_credit_note(actor, order, now=None):
    """The credit note for a cancelled order's refunds, issued the first time;
    it names the invoice it credits when one was issued. ``DocumentRefused``
    when the order is not cancelled or nothing was refunded. Needs
    ``orders.invoice`` write on the order. Does not commit."""
    reach(actor, order, INVOICE_RESOURCE, "write")
    existing = find_credit_note(order)
    if existing is not None:
        return existing
    problem = credit_note_refusal(order)
    if problem:
        raise DocumentRefused(problem)
    rows = refunds(order)
    invoice = find_invoice(order)
    return _issue(CREDIT_NOTE, actor, order, now, lambda number, issued_on: _render(
        CREDIT_NOTE, order, number, issued_on, refunds=rows, invoice=invoice,
        credited=-sum((r.amount for r in rows), Decimal(0))))


def _issue(kind, actor, order, now, render):
    """Number and store a document. The number is taken in a savepoint that
    is given back when another request issued the same document first: its
    counter lock made us wait until it committed, so the look-up below sees
    its copy, and no number is lost."""
    now = now or utcnow()
    savepoint = db.session.begin_nested()
    try:
        number = documents.next_number(kind, issuer(order), now.year)
        existing = documents.find_issued(kind, order.number)
        if existing is not None:
            savepoint.rollback()
            return existing
        doc = documents.issue(kind, order.number, lambda: render(number, now.date()),
                              merchant_id=order.merchant_id, actor=actor, number=number)
        savepoint.commit()
        return doc
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise


def _render(kind, order, number, issued_on, **extra):
    return documents.render_pdf(kind.template, order=order, checkout=order.checkout, merchant=order.merchant,
                                number=number, issued_on=issued_on, labels=LABELS, money=money, **extra)


def printable_shipments(order, shipments):
    """The shipments a packing slip may cover: not cancelled."""
    return [s for s in shipments if s.status != SHIPMENT_CANCELLED]


def packing_slip_pdf(order, shipments):
    """One PDF with a page per shipment (warehouse, lines and quantities,
    the buyer's address, carrier and tracking number once shipped); no
    prices. Rendered each time, not kept."""
    if not shipments:
        raise DocumentRefused(_("Order %(order)s has no shipment to pack.", order=order.number))
    slips = [(s, _packed(s)) for s in shipments]
    return documents.render_pdf(PACKING_SLIP.template, order=order, checkout=order.checkout,
                                merchant=order.merchant, slips=slips, labels=LABELS,
                                shipped=SHIPMENT_SHIPPED, printed_on=utcnow().date())


def _packed(shipment):
    """``[(order line, units)]`` a shipment carries: one row per order line
    (a line reserved again has several reservations in one shipment)."""
    units = {}
    for each in shipment.lines:
        line, qty = units.get(each.line_id, (each.line, 0))
        units[each.line_id] = (line, qty + each.qty)
    return sorted(units.values(), key=lambda item: (item[0].position, item[0].id))
