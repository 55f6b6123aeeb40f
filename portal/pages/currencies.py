"""Currencies and dated exchange rates: switch currencies on and off, enter a
rate, import rates from CSV (checked in full, then all or nothing), and
convert an amount to the reporting currency. Rates belong to the platform:
changing them needs the level on data of all merchants, not only the function."""
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from .. import access, money, rates_csv
from ..extensions import db
from ..models import Currency
from ..paging import paginate
from ..views import PortalView

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def platform_level():
    """The user's level on the platform's currency data."""
    return access.access().record_level("core.currency", {"merchant": None})


def _require(level):
    if platform_level() < access.level_value(level):
        abort(403)


def shown_rate(value, places=8):
    """A rate as text, to ``places`` decimals at most: an inverse rate has 28 digits."""
    if -value.as_tuple().exponent > places:
        value = value.quantize(Decimal(1).scaleb(-places))
    return money.plain(value)


def latest_shown(reporting, codes):
    """``{code: (rate as text, day)}`` to the reporting currency."""
    return {code: (shown_rate(value), day) for code, (value, day) in money.latest_rates_to(reporting, codes).items()}


def active_codes():
    """Codes of the active currencies, for pickers."""
    return db.session.execute(select(Currency.code).where(Currency.active).order_by(Currency.code)).scalars().all()


class CurrenciesView(PortalView):
    resource = "core.currency"

    def _common(self):
        return {"can_write": platform_level() >= access.WRITE, "can_manage": platform_level() >= access.MANAGE,
                "reporting": money.reporting_currency(), "plain": money.plain}

    # -- currencies -------------------------------------------------------------------

    @expose("/")
    def index(self):
        """Currencies with their latest rate to the reporting currency."""
        q = (request.args.get("q") or "").strip()
        show = request.args.get("show") if request.args.get("show") in ("active", "inactive", "all") else "active"
        query = select(Currency)
        if q:
            like = f"%{q.lower()}%"
            query = query.where(or_(func.lower(Currency.code).like(like), func.lower(Currency.name).like(like)))
        if show != "all":
            query = query.where(Currency.active.is_(show == "active"))
        page = paginate(query.order_by(Currency.code), request.args.get("page"))
        common = self._common()
        latest = latest_shown(common["reporting"], [c.code for c in page.items])
        return self.render("portal/currencies.html", page=page, q=q, show=show, latest=latest, tab="currencies",
                           partial="portal/_currencies_rows.html", **common)

    @expose("/<code>/active", methods=["POST"])
    def set_active(self, code):
        """Switch a currency on or off (HTMX: the row again, with any refusal)."""
        _require("manage")
        row = db.session.get(Currency, code.upper())
        if row is None:
            abort(404)
        active = request.form.get("active") == "1"
        error = None
        try:
            money.set_currency_active(row.code, active, current_user._get_current_object())
        except money.MoneyError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
        if request.headers.get("HX-Request") != "true":
            flash(error or (_("%(code)s is active.", code=row.code) if active
                            else _("%(code)s is inactive.", code=row.code)), "error" if error else "success")
            return redirect(request.referrer or url_for(".index"))
        common = self._common()
        latest = latest_shown(common["reporting"], [row.code])
        # HTMX swaps 2xx answers only: a refusal is a 200 that shows the reason in the row
        return self.render("portal/currencies.html", c=row, latest=latest, row_error=error,
                           partial="portal/_currencies_row.html", **common)

    # -- rates ------------------------------------------------------------------------

    def _rates_page(self, form=None, error=None, conversion=None):
        base = (request.args.get("base") or "").strip().upper()
        quote = (request.args.get("quote") or "").strip().upper()
        page = paginate(money.rates_query(base, quote), request.args.get("page"))
        return self.render("portal/currencies_rates.html", page=page, base=base, quote=quote, codes=active_codes(),
                           form=form or {}, error=error, conversion=conversion, tab="rates",
                           today=money.utcnow().date().isoformat(), partial="portal/_currencies_rates.html",
                           **self._common())

    @expose("/rates", methods=["GET", "POST"])
    def rates(self):
        """The rates, filtered by pair; POST enters one."""
        if request.method == "GET":
            return self._rates_page()
        _require("write")
        form = request.form
        try:
            row, created = money.set_rate(form.get("base"), form.get("quote"), form.get("day"), form.get("rate"),
                                          current_user._get_current_object())
        except money.MoneyError as exc:
            db.session.rollback()
            return self._rates_page(form=form, error=str(exc))
        db.session.commit()
        flash(_("Rate %(pair)s on %(day)s saved: %(rate)s.", pair=f"{row.base}/{row.quote}",
                day=row.day.isoformat(), rate=money.plain(row.rate)), "success")
        return redirect(url_for(".rates", base=request.args.get("base") or None,
                                quote=request.args.get("quote") or None))

    @expose("/convert")
    def convert(self):
        """Convert an amount to the reporting currency on a day (HTMX: the result only)."""
        args = request.args
        reporting = money.reporting_currency()
        result = {"amount": args.get("amount", ""), "currency": (args.get("currency") or "").upper(),
                  "day": args.get("day", ""), "reporting": reporting}
        try:
            amount = money.to_decimal(args.get("amount"), _("Amount"))
            code = money.currency(args.get("currency"), _("Currency")).code
            day = money.parse_day(args.get("day"), _("Date")) if args.get("day") else money.utcnow().date()
            rate, rate_day = money.find_rate(code, reporting, day)
            result.update(value=money.convert(amount, code, reporting, day), rate=shown_rate(rate, 10),
                          rate_day=rate_day, amount_value=amount, currency=code)
        except money.MoneyError as exc:
            result["error"] = str(exc)
        if request.headers.get("HX-Request") == "true":
            return self.render("portal/currencies_rates.html", conversion=result, plain=money.plain,
                               partial="portal/_currencies_convert.html")
        return self._rates_page(conversion=result)

    # -- CSV import -------------------------------------------------------------------

    @expose("/rates/import", methods=["GET", "POST"])
    def import_rates(self):
        """Upload, then a preview (or every error), then a confirmed import."""
        _require("write")
        context = {"tab": "import", **self._common()}
        if request.method == "GET":
            return self.render("portal/currencies_import.html", **context)
        if request.form.get("confirm") == "1":
            return self._import(request.form.get("content", ""), request.form.get("filename", ""), context)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self.render("portal/currencies_import.html", upload_error=_("Choose a CSV file to upload."),
                               **context)
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            return self.render("portal/currencies_import.html", **context, upload_error=_(
                "The file is larger than %(mb)s MB; split it.", mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
        rows, errors = rates_csv.parse_rates_csv(data)
        # the checked text travels back with the confirmation, so any worker can import it
        content = "" if errors else data.decode("utf-8-sig")
        return self.render("portal/currencies_import.html", rows=rows, errors=errors, content=content,
                           filename=upload.filename, **context)

    def _import(self, content, filename, context):
        try:
            result = rates_csv.import_rates(content, current_user._get_current_object(), filename)
        except rates_csv.RateImportError as exc:
            db.session.rollback()
            return self.render("portal/currencies_import.html", rows=[], errors=exc.errors, filename=filename,
                               **context)
        db.session.commit()
        flash(_("Imported %(file)s: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.",
                file=filename or "CSV", created=result.created, updated=result.updated,
                unchanged=result.unchanged), "success")
        return redirect(url_for(".rates"))
