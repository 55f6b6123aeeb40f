"""The staff order form: a buyer, SKU lines typed by code, a live price per
merchant (``services.placing.quote``) and the placing itself
(``services.place``). One endpoint answers the full page or, for HTMX, the
partial; business errors come back next to the field or line they concern,
with everything typed kept."""
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from flask import flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import select

from plugins.catalog.models import Product, Sku
from plugins.inventory.services import InsufficientStock, sellable_many
from portal import access
from portal.events import EventRejected
from portal.extensions import db
from portal.models import Merchant
from portal.money import quantize
from portal.views import PortalView

from ..services import InvalidField, InvalidLine, OrdersError, UnknownSku, place
from ..services import quote as quote_lines

CHANNEL = "portal"
BUYER_FIELDS = ("name", "phone", "email", "region", "city", "district", "address", "postcode")
KEY = re.compile(r"^[a-z0-9]{1,16}$")
MAX_ROWS = 500  # the service refuses more lines; more rows than that are not read
SEARCH_LIMIT = 20
LINES_CHANGED = "orders-lines-changed"  # the form prices again when a row is removed


class AmbiguousSku(InvalidLine):
    """A code that several merchants use, typed by platform staff."""

    def __init__(self, line, code, merchant_codes):
        self.code = code
        super().__init__(line, gettext(
            "SKU code %(code)s is used by several merchants (%(merchants)s); write it as MERCHANT/CODE, "
            "e.g. %(example)s.", code=code, merchants=", ".join(merchant_codes),
            example=f"{merchant_codes[0]}/{code}"))


@dataclass
class LineRow:
    """One row of the form as typed, and what the page learnt about it."""

    key: str
    code: str = ""
    qty: str = "1"
    sku: Sku = None
    number: int = None  # the line number the service names, counting non-blank rows from 1
    error: str = ""
    sellable: int = None

    @property
    def blank(self):
        return not self.code

    @property
    def short(self):
        """Fewer units sellable than asked for (a hint: the placing decides)."""
        qty = self.qty.strip()
        return self.sellable is not None and qty.isdigit() and int(qty) > self.sellable


@dataclass
class OrderForm:
    """The form as typed: buyer fields, customer reference and line rows."""

    buyer: dict = field(default_factory=dict)
    customer_ref: str = ""
    coupon_codes: str = ""
    points: str = ""
    rows: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)  # field name -> message

    @classmethod
    def blank(cls):
        return cls(rows=[LineRow(new_key())])

    @classmethod
    def from_request(cls, form):
        keys, codes, qtys = form.getlist("row"), form.getlist("sku_code"), form.getlist("qty")
        rows = []
        for i, code in enumerate(codes[:MAX_ROWS]):
            key = keys[i] if i < len(keys) and KEY.match(keys[i] or "") else new_key()
            rows.append(LineRow(key, code.strip(), qtys[i].strip() if i < len(qtys) else ""))
        return cls(buyer={name: form.get(name, "").strip() for name in BUYER_FIELDS},
                   customer_ref=form.get("customer_ref", "").strip(),
                   coupon_codes=form.get("coupon_codes", "").strip()[:250], points=form.get("points", "").strip(),
                   rows=rows or [LineRow(new_key())])

    @property
    def filled(self):
        return [row for row in self.rows if not row.blank]

    @property
    def lines(self):
        """The service's lines: ``(sku_id, qty as typed)`` for each filled row."""
        return [(row.sku.id, row.qty) for row in self.filled]

    def row_numbered(self, number):
        return next((row for row in self.filled if row.number == number), None)

    def show_error(self, exc):
        """Put a business error next to what it concerns; the rest goes on top."""
        if isinstance(exc, InvalidLine) and self.row_numbered(exc.line) is not None:
            self.row_numbered(exc.line).error = exc.problem
            return str(exc)
        if isinstance(exc, InvalidField) and exc.field in BUYER_FIELDS + ("customer_ref", "coupon_codes", "points"):
            self.errors[exc.field] = exc.problem
        line = getattr(exc, "line", None)  # OutOfStock names its line too
        if line is not None and self.row_numbered(line) is not None:
            self.row_numbered(line).error = str(exc)
        return str(exc)


def new_key():
    return uuid.uuid4().hex[:12]


def resolve(form, actor):
    """Find each filled row's SKU by code among the SKUs the user may order
    (merchant staff: their merchant's only); a row whose code is not found
    gets the service's own "does not exist" message. True when all are found."""
    for number, row in enumerate(form.filled, start=1):
        row.number = number
    wanted = {row.code for row in form.filled} | {row.code.split("/", 1)[1] for row in form.filled if "/" in row.code}
    if not wanted:
        return True
    query = (select(Sku, Merchant.code).join(Merchant, Merchant.id == Sku.merchant_id)
             .where(Sku.code.in_(wanted)).order_by(Merchant.code))
    if actor.merchant_id is not None:
        query = query.where(Sku.merchant_id == actor.merchant_id)
    by_code = {}
    for sku, merchant_code in db.session.execute(access.scoped(query, Sku, "write", actor)):
        by_code.setdefault(sku.code, []).append((sku, merchant_code))
    for row in form.filled:
        matches = by_code.get(row.code, [])
        if not matches and "/" in row.code:
            merchant_code, code = row.code.split("/", 1)
            matches = [m for m in by_code.get(code, []) if m[1] == merchant_code]
        if len(matches) == 1:
            row.sku = matches[0][0]
        else:
            exc = (AmbiguousSku(row.number, row.code, [m[1] for m in matches]) if matches
                   else UnknownSku(row.number, row.code))
            row.error = exc.problem
    sellable = sellable_many({row.sku.id for row in form.filled if row.sku is not None})
    for row in form.filled:
        row.sellable = sellable.get(row.sku.id) if row.sku is not None else None
    return all(row.sku is not None for row in form.filled)


def priced_view(priced):
    """What the quote panel shows per merchant: figures rounded to the currency."""
    merchants = {m.id: m for m in db.session.execute(
        select(Merchant).where(Merchant.id.in_([p.draft.merchant_id for p in priced]))).scalars()}
    parts = []
    for p in priced:
        draft = p.draft
        lines = [{"code": line.sku_code, "title": line.title, "qty": line.qty,
                  "unit_price": quantize(line.unit_price, draft.currency), "total": p.line_totals[line.index]}
                 for line in draft.lines]
        adjustments = [{"source": a.source, "reason": a.reason, "amount": a.amount,
                        "line": None if a.line is None else draft.lines[a.line].sku_code} for a in p.adjustments]
        parts.append({"merchant": merchants.get(draft.merchant_id), "currency": draft.currency, "lines": lines,
                      "adjustments": adjustments, "subtotal": p.subtotal,
                      "adjustments_total": p.adjustments_total, "total": p.total})
    return parts


class NewOrderView(PortalView):
    """Staff place an order for a buyer: one order per merchant of its SKUs."""

    resource = "orders.order"
    level = "write"

    @expose("/", methods=["GET", "POST"])
    def index(self):
        """The form; posted, the order is placed, or the form comes back with the message."""
        if request.method == "GET":
            return self._page(OrderForm.blank())
        form = OrderForm.from_request(request.form)
        actor = current_user._get_current_object()
        try:
            if not resolve(form, actor):
                return self._page(form, error=gettext("Some lines cannot be ordered; see the messages by them."))
            checkout = place(actor, CHANNEL, form.buyer, form.lines, form.customer_ref,
                             coupon_codes=form.coupon_codes, points=form.points)
            numbers = [order.number for order in checkout.orders]
            first_id = checkout.orders[0].id
            db.session.commit()
        except (OrdersError, InsufficientStock, EventRejected) as exc:
            db.session.rollback()  # nothing of the attempt stays
            return self._page(form, error=form.show_error(exc))
        flash(ngettext("Placed order %(numbers)s.", "Placed %(num)d orders: %(numbers)s.", len(numbers),
                       numbers=", ".join(numbers)), "success")
        return redirect(url_for("orders_orders.detail", order_id=first_id))

    @expose("/quote", methods=["POST"])
    def quote(self):
        """HTMX: the priced draft per merchant for the form as typed, and each
        row's note (sellable units or its problem); writes nothing."""
        form = OrderForm.from_request(request.form)
        context = self._quote(form)
        oob = request.headers.get("HX-Request") == "true"  # the full page shows the notes in the rows
        return self.render("orders/new.html", form=form, partial="orders/_new_quote.html", oob=oob, **context)

    @expose("/line")
    def line(self):
        """HTMX: one more empty line row."""
        return self.render("orders/new.html", form=OrderForm.blank(), row=LineRow(new_key()),
                           partial="orders/_new_line.html")

    @expose("/line/removed")
    def line_removed(self):
        """HTMX: a row's "Remove" swaps the row away (hx-swap="delete") and
        asks the form to price again."""
        if request.headers.get("HX-Request") != "true":
            return redirect(url_for(".index"))
        response = make_response("")
        response.headers["HX-Trigger"] = LINES_CHANGED
        return response

    @expose("/skus")
    def skus(self):
        """HTMX: ``<option>``s of SKU codes starting with what is typed, among
        the SKUs the user may order (for the code inputs' datalist)."""
        typed = (request.args.get("sku_code") or request.args.get("q") or "").strip()
        options = []
        if typed:
            query = (select(Sku, Product.title_en, Merchant.code).join(Product, Product.id == Sku.product_id)
                     .join(Merchant, Merchant.id == Sku.merchant_id)
                     .where(Sku.code.startswith(typed.split("/")[-1], autoescape=True), Sku.active.is_(True))
                     .order_by(Sku.code, Merchant.code).limit(SEARCH_LIMIT))
            if current_user.merchant_id is not None:
                query = query.where(Sku.merchant_id == current_user.merchant_id)
            options = db.session.execute(access.scoped(query, Sku, "write")).all()
        return self.render("orders/_new_sku_options.html", options=options, partial="orders/_new_sku_options.html")

    def _quote(self, form):
        """``{"parts", "grand_total", "currency", "error"}`` for the quote panel."""
        actor = current_user._get_current_object()
        if not resolve(form, actor):
            return {"error": gettext("Some lines cannot be ordered; see the messages by them.")}
        if not form.filled:
            return {"hint": gettext("Type a SKU code and a quantity to see the price.")}
        if not form.buyer.get("region"):
            return {"hint": gettext("Enter the shipping region (e.g. CN-GD) to see the price.")}
        try:
            parts = priced_view(quote_lines(actor, form.lines, form.buyer["region"], CHANNEL, form.customer_ref,
                                            form.coupon_codes, form.points))
        except OrdersError as exc:
            return {"error": form.show_error(exc)}
        return {"parts": parts, "currency": parts[0]["currency"],
                "grand_total": sum((part["total"] for part in parts), Decimal(0))}

    def _page(self, form, error=""):
        return self.render("orders/new.html", form=form, page_error=error, oob=False)
