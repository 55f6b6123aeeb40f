"""The simulator: build a cart (SKU codes and quantities, coupon codes, a
customer, a moment), see which rules apply, in which order, how much each
gives per line, and why every other live rule does not. Writes nothing."""
from decimal import Decimal

from flask import request
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from plugins.orders.services.errors import InvalidField
from plugins.orders.services.placing import clean_coupon_codes
from plugins.orders.services.pricing import Draft, DraftLine
from plugins.catalog.models import Product, Sku
from portal import access
from portal.extensions import db
from portal.models import Merchant, utcnow
from portal.money import quantize
from portal.views import PortalView

from ..services import explain
from ..services.engine import to_money
from ..services.errors import InvalidRule
from ..services.pricing import evaluate_draft
from .forms import to_utc

RESOURCE = "promotions.rule"
MAX_LINES = 50


def parse_cart(form, merchant_id):
    """``[(sku, product, qty)]`` from ``CODE QTY`` lines; ``InvalidRule("lines")`` naming the line."""
    wanted = []
    for number, raw in enumerate((form.get("lines") or "").splitlines(), start=1):
        parts = raw.replace(",", " ").split()
        if not parts:
            continue
        qty = parts[1] if len(parts) > 1 else "1"
        if len(parts) > 2 or not qty.isdigit() or int(qty) < 1 or int(qty) > 9999:
            raise InvalidRule("lines", _("Line %(n)s: write a SKU code and a quantity, e.g. TEA-1 2.", n=number))
        wanted.append((number, parts[0], int(qty)))
    if not wanted:
        raise InvalidRule("lines", _("Add at least one line: a SKU code and a quantity, e.g. TEA-1 2."))
    if len(wanted) > MAX_LINES:
        raise InvalidRule("lines", _("At most %(n)s lines.", n=MAX_LINES))
    found = {sku.code: (sku, product) for sku, product in db.session.execute(
        select(Sku, Product).join(Product, Product.id == Sku.product_id)
        .where(Sku.merchant_id == merchant_id, Sku.code.in_([code for _n, code, _q in wanted])))}
    cart = []
    for number, code, qty in wanted:
        if code not in found:
            raise InvalidRule("lines", _("Line %(n)s: SKU %(code)s does not exist for this merchant.", n=number,
                                         code=code))
        cart.append((*found[code], qty))
    currencies = {sku.currency for sku, _p, _q in cart}
    if len(currencies) > 1:
        raise InvalidRule("lines", _("The SKUs are priced in several currencies; simulate one currency at a time."))
    return cart


def simulate(form, merchant_id):
    """The page's figures for a posted cart."""
    cart = parse_cart(form, merchant_id)
    try:
        codes = clean_coupon_codes(form.get("coupon_codes", ""))
    except InvalidField as exc:
        raise InvalidRule("coupon_codes", exc.problem) from None
    currency = cart[0][0].currency
    lines = tuple(DraftLine(i, sku.id, sku.code, product.title_en, qty, Decimal(sku.price), currency)
                  for i, (sku, product, qty) in enumerate(cart))
    draft = Draft(merchant_id, currency, lines, "CN", (form.get("channel") or "").strip()[:32],
                  (form.get("customer_ref") or "").strip()[:64], codes)
    now = to_utc(form.get("at"), "at") or utcnow()
    outcome = evaluate_draft(draft, now=now, every_live_rule=True)
    per_line = {line.index: Decimal(0) for line in lines}
    for applied in outcome.applied:
        for index, units in applied.shares:
            per_line[index] += to_money(units, outcome.cart.minor)
    rows = [{"code": line.sku_code, "title": line.title, "qty": line.qty, "amount": cart_line.amount,
             "discount": per_line[line.index], "net": cart_line.amount - per_line[line.index]}
            for line, cart_line in zip(lines, outcome.cart.lines)]
    known = {v.rule_id for v in outcome.verdicts}
    unknown = [code for code in codes if not _code_known(code, known)]
    subtotal = sum((row["amount"] for row in rows), Decimal(0))
    return {"rows": rows, "verdicts": explain.rows(outcome.verdicts, currency), "currency": currency,
            "subtotal": subtotal, "discount": outcome.discount(), "total": subtotal - outcome.discount(),
            "unknown_codes": unknown, "at": now}


def _code_known(code, rule_ids):
    from ..models import CouponCode
    rule_id = db.session.execute(select(CouponCode.rule_id).where(CouponCode.code == code)).scalar()
    return rule_id in rule_ids


class SimulatorView(PortalView):
    resource = RESOURCE

    @expose("/", methods=["GET", "POST"])
    def index(self):
        """The cart form; posted, the engine's answer (the partial for HTMX)."""
        merchants = self._merchants()
        values, result, errors = dict(request.form), None, {}
        if request.method == "POST":
            merchant_id = self._merchant(request.form.get("merchant_id"), merchants)
            if merchant_id is None:
                errors["merchant_id"] = _("Choose a merchant from the list.")
            else:
                try:
                    result = simulate(request.form, merchant_id)
                except InvalidRule as exc:
                    errors[exc.field] = exc.problem
        return self.render("promotions/simulator.html", partial="promotions/_simulation.html", values=values,
                           result=result, errors=errors, merchants=merchants, money=quantize)

    @staticmethod
    def _merchants():
        if current_user.merchant_id is not None:
            return []
        return db.session.execute(select(Merchant).order_by(Merchant.code)).scalars().all()

    @staticmethod
    def _merchant(raw, merchants):
        if current_user.merchant_id is not None:
            return current_user.merchant_id
        raw = (raw or "").strip()
        ids = {m.id for m in merchants}
        if not raw.isdigit() or int(raw) not in ids or access.access().data_level("merchant", int(raw)) < access.READ:
            return None
        return int(raw)
