"""After-sales cases: the buyer asks for a refund only, a return and refund,
or an exchange, with a reason, the units concerned and photos; staff approve
(with the amount to refund, never above what was paid less the refunds already
recorded) or reject (with a reason); for a return the buyer's tracking number
is recorded, the goods are received and put back into the warehouse they
shipped from, sellable again or damaged; then the money is refunded (negative
payment rows and ``RefundApproved``) or, for an exchange, a replacement
shipment leaves a warehouse (``exchange.send_replacement``), and the case and
the order close.

Who does what: opening a case, recording the return and receiving the goods
is order work (``orders.order`` write); approving, rejecting, refunding,
sending an exchange's replacement and withdrawing settle the case and close the order, which
is refund work (``orders.refund`` write). Every step writes an audit row;
state changes of the order go through ``lifecycle`` (history row, event).
Each step runs in a savepoint: an error leaves nothing written.
"""
from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from plugins.inventory.services import return_goods
from portal.events import publish
from portal.extensions import db
from portal.money import MoneyError, quantize, to_decimal
from portal.uploads import UploadRejected, store_upload

from ..events import RefundApproved
from ..models import (AFTER_SALES, CASE_APPROVED, CASE_CLOSED, CASE_KINDS, CASE_OPEN, CASE_REASONS,
                      CASE_REFUNDED, CASE_REJECTED, CASE_REQUESTED, CASE_RETURNED, CASE_STATUSES, COMPLETED,
                      EXCHANGE, PENDING_RECEIPT, REFUND, REFUND_ONLY, RESTOCK_CHOICES, SHIPMENT_SHIPPED,
                      AfterSalesCase, AfterSalesLine, AfterSalesPhoto, Payment, Shipment, ShipmentLine)
from .core import REFUND as REFUND_RESOURCE, audit, now_or, reach, text
from .errors import InvalidField, OrdersError
from .lifecycle import close, paid_amount, request_after_sales
from .machine import check

MAX_PHOTOS = 6
PHOTO_KIND = "orders_after_sales"


class RefundAbovePaid(OrdersError):
    """An amount to refund above what the buyer paid less the refunds already recorded."""

    def __init__(self, number, amount, refundable, currency):
        self.number, self.amount, self.refundable, self.currency = number, amount, refundable, currency
        super().__init__(_("Order %(order)s: %(amount)s %(currency)s cannot be refunded; only %(refundable)s "
                           "%(currency)s was paid and not yet refunded.", order=number, amount=amount,
                           refundable=refundable, currency=currency))


class CaseStepRefused(OrdersError):
    """A step the case's kind or status does not allow."""

    def __init__(self, case, why):
        self.case_id, self.status = case.id, case.status
        super().__init__(_("After-sales case %(id)s (%(status)s): %(why)s", id=case.id,
                           status=_(CASE_STATUSES[case.status]), why=why))


def refundable(order, paid=None):
    """What was paid for ``order`` less the refunds already recorded (``paid``:
    that figure when the caller has just read it)."""
    return max(paid_amount(order) if paid is None else paid, Decimal(0))


def open_cases(order):
    """The order's cases still being handled."""
    return [c for c in cases_of(order) if c.status in CASE_OPEN]


def cases_of(order):
    """Every case of the order, oldest first."""
    return db.session.execute(select(AfterSalesCase).where(AfterSalesCase.order_id == order.id)
                              .order_by(AfterSalesCase.id)).scalars().all()


def open_case(actor, order, kind, reason, note="", lines=(), amount=None, photos=(), now=None):
    """Open a case for ``order`` (``lines``: ``[(order line id, qty)]``;
    ``photos``: uploaded files) and return it. An order waiting for receipt,
    or completed within its after-sales window, moves to ``after_sales``; an
    order already there takes the case unless another case is open; any other
    state is refused with the lifecycle's ``InvalidTransition``."""
    reach(actor, order)
    if order.state != AFTER_SALES:
        check(order, AFTER_SALES)
    elif open_cases(order):
        raise InvalidField("case", _("case %(id)s of order %(order)s is still open; settle it first.",
                                     id=open_cases(order)[0].id, order=order.number))
    if kind not in CASE_KINDS:
        raise InvalidField(_("kind"), _("choose refund only, return and refund, or exchange."))
    if reason not in CASE_REASONS:
        raise InvalidField(_("reason"), _("choose a reason from the list."))
    note = text(note, _("note"), 500, required=reason == "other")
    wanted = _case_lines(order, lines, required=kind != REFUND_ONLY)
    if kind == EXCHANGE:
        if str(amount if amount is not None else "").strip() not in ("", "0"):
            raise InvalidField(_("amount"), _("an exchange refunds nothing; leave the amount empty."))
        requested = Decimal(0)
    else:
        requested = _amount(order, amount, required=True)
    photos = [p for p in photos if p is not None and getattr(p, "filename", "")]
    if len(photos) > MAX_PHOTOS:
        raise InvalidField(_("photos"), _("at most %(n)s photos.", n=MAX_PHOTOS))
    now = now_or(now)
    with db.session.begin_nested():
        if order.state in (PENDING_RECEIPT, COMPLETED):
            request_after_sales(actor, order, note=" ".join(filter(None, [_(CASE_REASONS[reason]) + ".", note])),
                                now=now)
        case = AfterSalesCase(order_id=order.id, merchant_id=order.merchant_id, kind=kind, reason=reason,
                              note=note, status=CASE_REQUESTED, currency=order.currency, requested_amount=requested,
                              requested_by_id=getattr(actor, "id", None), created_at=now)
        case.lines = [AfterSalesLine(line_id=line.id, qty=qty) for line, qty in wanted]
        db.session.add(case)
        db.session.flush()
        for upload in photos:
            try:
                stored = store_upload(upload, PHOTO_KIND, merchant_id=order.merchant_id, actor=actor)
            except UploadRejected as exc:
                raise InvalidField(_("photos"), str(exc)) from None
            case.photos.append(AfterSalesPhoto(file_id=stored.id))
        db.session.flush()
        audit("after_sales_open", actor, order, case=case.id, kind=kind, reason=reason, note=note,
              amount=str(requested), lines={str(line.id): qty for line, qty in wanted},
              photos=[p.file_id for p in case.photos])
    return case


def _case_lines(order, lines, required):
    """``[(OrderLine, qty)]`` checked against the units shipped and those
    already in another case (a rejected or withdrawn case gives them back)."""
    by_id = {line.id: line for line in order.lines}
    taken = defaultdict(int)
    for case in cases_of(order):
        if case.status not in (CASE_REJECTED, CASE_CLOSED):
            for case_line in case.lines:
                taken[case_line.line_id] += case_line.qty
    chosen = {}
    for raw_id, raw_qty in lines:
        try:
            line = by_id[int(raw_id)]
        except (KeyError, TypeError, ValueError):
            raise InvalidField(_("lines"), _("line %(line)s is not a line of order %(order)s.", line=raw_id,
                                             order=order.number)) from None
        try:
            qty = int(str(raw_qty).strip() or 0)
        except ValueError:
            raise InvalidField(_("lines"), _("SKU %(code)s: the quantity %(value)r is not a whole number.",
                                             code=line.sku_code, value=raw_qty)) from None
        if qty == 0:
            continue
        left = line.qty - taken[line.id]
        if qty < 0 or qty > left or line.id in chosen:
            raise InvalidField(_("lines"), _("SKU %(code)s: choose from 1 to %(left)s units.", code=line.sku_code,
                                             left=left))
        chosen[line.id] = (line, qty)
    if required and not chosen:
        raise InvalidField(_("lines"), _("choose the units the buyer sends back."))
    return [chosen[key] for key in sorted(chosen)]


def _amount(order, amount, required):
    """An amount in the order's currency, above zero, within what may be refunded."""
    raw = "" if amount is None else str(amount).strip()
    if not raw:
        if required:
            raise InvalidField(_("amount"), _("required."))
        return Decimal(0)
    try:
        value = Decimal(to_decimal(raw))
    except (MoneyError, TypeError, ValueError, ArithmeticError):
        raise InvalidField(_("amount"), _("%(value)r is not a number.", value=raw)) from None
    if value <= 0:
        raise InvalidField(_("amount"), _("must be above zero."))
    if quantize(value, order.currency) != value:
        raise InvalidField(_("amount"), _("%(value)s has more decimals than %(currency)s allows.", value=value,
                                          currency=order.currency))
    _within_refundable(order, value)
    return value


def _within_refundable(order, value):
    left = refundable(order)
    if value > left:
        raise RefundAbovePaid(order.number, quantize(value, order.currency), quantize(left, order.currency),
                              order.currency)


def _step(case, allowed_statuses, why):
    if case.status not in allowed_statuses:
        raise CaseStepRefused(case, why)


def approve(actor, case, amount=None, now=None):
    """Accept the case; for a refund, the amount to refund (the amount asked
    when none is given), never above what was paid less refunds recorded
    (``RefundAbovePaid`` naming both figures)."""
    order = case.order
    reach(actor, order, REFUND_RESOURCE, "write")
    _step(case, (CASE_REQUESTED,), _("only a requested case can be approved."))
    if case.kind == EXCHANGE:
        approved = Decimal(0)
    elif amount is None or str(amount).strip() == "":
        approved = Decimal(case.requested_amount)
        _within_refundable(order, approved)
    else:
        approved = _amount(order, amount, required=True)
    now = now_or(now)
    with db.session.begin_nested():
        case.status, case.approved_amount = CASE_APPROVED, approved
        case.decided_by_id, case.decided_at = getattr(actor, "id", None), now
        db.session.flush()
        audit("after_sales_approve", actor, order, case=case.id, amount=str(approved))
    return case


def reject(actor, case, reason, now=None):
    """Refuse the case with a reason the buyer is told; the case finishes."""
    order = case.order
    reach(actor, order, REFUND_RESOURCE, "write")
    _step(case, (CASE_REQUESTED, CASE_APPROVED), _("goods already received back cannot be rejected."))
    reason = text(reason, _("rejection reason"), 500, required=True)
    now = now_or(now)
    with db.session.begin_nested():
        case.status, case.rejection_reason = CASE_REJECTED, reason
        case.decided_by_id, case.decided_at = getattr(actor, "id", None), now
        db.session.flush()
        audit("after_sales_reject", actor, order, case=case.id, reason=reason)
        _finish(actor, case, _("After-sales case %(id)s rejected: %(reason)s", id=case.id, reason=reason), now)
    return case


def record_return(actor, case, carrier, tracking_number, now=None):
    """The buyer sent the goods back: the carrier and tracking number (may be corrected until received)."""
    order = case.order
    reach(actor, order)
    if case.kind == REFUND_ONLY:
        raise CaseStepRefused(case, _("a refund-only case has no goods to send back."))
    _step(case, (CASE_APPROVED,), _("the return is recorded once the case is approved."))
    carrier = text(carrier, _("carrier"), 64, required=True)
    tracking_number = text(tracking_number, _("tracking number"), 64, required=True)
    now = now_or(now)
    with db.session.begin_nested():
        case.return_carrier, case.return_tracking, case.return_sent_at = carrier, tracking_number, now
        db.session.flush()
        audit("after_sales_return", actor, order, case=case.id, carrier=carrier, tracking_number=tracking_number)
    return case


def receive_return(actor, case, restock, now=None):
    """The goods are back: ``restock`` maps each order line id of the case to
    ``(units received, "sellable" | "damaged")``; the units go back through
    the inventory into the warehouses the line shipped from."""
    order = case.order
    reach(actor, order)
    if case.kind == REFUND_ONLY:
        raise CaseStepRefused(case, _("a refund-only case has no goods to receive."))
    _step(case, (CASE_APPROVED,), _("goods are received once the case is approved."))
    if not case.return_tracking:
        raise CaseStepRefused(case, _("record the return's tracking number first."))
    decisions = _decisions(case, restock)
    now = now_or(now)
    with db.session.begin_nested():
        for case_line, qty, decision in decisions:
            case_line.returned_qty, case_line.restock = qty, decision
            for warehouse_id, units in _shipped_from(case_line.line, qty):
                return_goods(None, case_line.line.sku_id, warehouse_id, units, to=decision, document=order.number)
        case.status, case.received_at = CASE_RETURNED, now
        db.session.flush()
        audit("after_sales_receive", actor, order, case=case.id,
              restock={str(cl.line_id): [qty, decision] for cl, qty, decision in decisions})
    return case


def _decisions(case, restock):
    """``[(AfterSalesLine, qty, decision)]``, one per line of the case."""
    restock = {str(key): value for key, value in (restock or {}).items()}
    decisions = []
    for case_line in case.lines:
        qty, decision = restock.get(str(case_line.line_id), (None, None))
        code = case_line.line.sku_code
        try:
            qty = int(str(qty).strip())
        except (TypeError, ValueError):
            raise InvalidField(_("restock"), _("SKU %(code)s: give the units received, from 0 to %(qty)s.",
                                               code=code, qty=case_line.qty)) from None
        if not 0 <= qty <= case_line.qty:
            raise InvalidField(_("restock"), _("SKU %(code)s: give the units received, from 0 to %(qty)s.",
                                               code=code, qty=case_line.qty))
        if decision not in RESTOCK_CHOICES:
            raise InvalidField(_("restock"), _("SKU %(code)s: choose sellable or damaged.", code=code))
        decisions.append((case_line, qty, decision))
    if not any(qty for _line, qty, _decision in decisions):
        raise InvalidField(_("restock"), _("no unit received; record at least one."))
    return decisions


def _shipped_from(line, qty):
    """``[(warehouse_id, units)]`` covering ``qty`` units of ``line`` from the
    warehouses that shipped it, oldest shipment first."""
    rows = db.session.execute(select(Shipment.warehouse_id, ShipmentLine.qty)
                              .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
                              .where(ShipmentLine.line_id == line.id, Shipment.status == SHIPMENT_SHIPPED)
                              .order_by(Shipment.id, ShipmentLine.id)).all()
    left, parts = qty, defaultdict(int)
    for warehouse_id, shipped in rows:
        if left <= 0:
            break
        take = min(left, shipped)
        parts[warehouse_id] += take
        left -= take
    if left > 0:
        raise InvalidField(_("restock"), _("SKU %(code)s: only %(shipped)s units were shipped.", code=line.sku_code,
                                           shipped=qty - left))
    return [(w, units) for w, units in parts.items() if units]


def refund(actor, case, now=None):
    """Pay back the approved amount: negative payment rows per method still
    holding money (like a cancellation), ``RefundApproved``; the case is
    refunded and finishes. A return must be received first."""
    order = case.order
    reach(actor, order, REFUND_RESOURCE, "write")
    if case.kind == EXCHANGE:
        raise CaseStepRefused(case, _("an exchange refunds nothing; complete the exchange instead."))
    ready = (CASE_APPROVED,) if case.kind == REFUND_ONLY else (CASE_RETURNED,)
    _step(case, ready, _("refund once the case is approved.") if case.kind == REFUND_ONLY
          else _("refund once the goods are received back."))
    amount = Decimal(case.approved_amount or 0)
    _within_refundable(order, amount)
    now = now_or(now)
    with db.session.begin_nested():
        rows = _refund_rows(actor, order, amount, now)
        case.status, case.refunded_at = CASE_REFUNDED, now
        db.session.flush()
        audit("after_sales_refund", actor, order, case=case.id, amount=str(amount), payments=rows)
        publish(RefundApproved(order.id, order.number, order.merchant_id, case.id,
                               quantize(amount, order.currency), order.currency))
        _finish(actor, case, _("After-sales case %(id)s refunded: %(amount)s %(currency)s.", id=case.id,
                               amount=quantize(amount, order.currency), currency=order.currency), now)
    return case


def _refund_rows(actor, order, amount, now):
    """Negative payment rows covering ``amount`` from the methods still holding money, by method name."""
    held = defaultdict(Decimal)
    for payment in db.session.execute(select(Payment).where(Payment.order_id == order.id)).scalars():
        held[payment.method] += payment.amount
    left, rows = amount, []
    for method, available in sorted(held.items()):
        if left <= 0:
            break
        take = min(left, available)
        if take > 0:
            payment = Payment(order_id=order.id, merchant_id=order.merchant_id, kind=REFUND, method=method,
                              amount=-take, currency=order.currency, paid_at=now,
                              recorded_by_id=getattr(actor, "id", None), created_at=now)
            db.session.add(payment)
            db.session.flush()
            rows.append(payment.id)
            left -= take
    return rows


def withdraw(actor, case, note="", now=None):
    """The buyer withdrew the request before any goods came back: the case closes."""
    order = case.order
    reach(actor, order, REFUND_RESOURCE, "write")
    _step(case, (CASE_REQUESTED, CASE_APPROVED), _("only a case whose goods are not back can be withdrawn."))
    note = text(note, _("note"), 500)
    now = now_or(now)
    with db.session.begin_nested():
        case.status = CASE_CLOSED
        db.session.flush()
        audit("after_sales_withdraw", actor, order, case=case.id, note=note)
        _finish(actor, case, " ".join(filter(None, [_("After-sales case %(id)s withdrawn.", id=case.id), note])),
                now)
    return case


def _finish(actor, case, note, now):
    """Stamp the case finished; close the order when no other case of it is open."""
    case.closed_at = now
    db.session.flush()
    order = case.order
    if order.state == AFTER_SALES and not open_cases(order):
        close(actor, order, note=note, now=now)


__all__ = ["RefundAbovePaid", "CaseStepRefused", "refundable", "open_cases", "cases_of", "open_case", "approve",
           "reject", "record_return", "receive_return", "refund", "withdraw"]
