"""CSV and XLSX downloads of an analysis table: a title row with the period
and currency, the header, then one row per key (money as text-exact decimals)."""
import csv
import io

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook

from portal.audit import record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _header(dimension, columns):
    return [dimension] + [str(label) for _name, label in columns] + [_("Previous GMV"), _("Change %")]


def _lines(columns, rows):
    for row in rows:
        yield [row.label] + [row.values.get(name, "") for name, _label in columns] + [
            row.previous_gmv, "" if row.change is None else row.change]


def _csv(title, header, lines):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title])
    writer.writerow(header)
    for line in lines:
        writer.writerow([str(v) for v in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"


def _xlsx(title, header, lines):
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(header)
    for line in lines:
        sheet.append(list(line))  # Decimals stay exact numbers
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), XLSX


def export_response(fmt, name, dimension, columns, rows, filters):
    """The download (audited: who exported which figures)."""
    title = _("%(start)s to %(end)s, %(currency)s", start=filters["period"].start, end=filters["period"].end,
              currency=filters["currency"])
    body, mimetype = (_csv if fmt == "csv" else _xlsx)(title, _header(dimension, columns), _lines(columns, rows))
    record("reports.export", target=name, plugin="reports", merchant_id=filters["merchant_id"],
           summary={"format": fmt, "rows": len(rows)})
    from portal.extensions import db
    db.session.commit()
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def pdf_response(name, template, filters, **context):
    """A printed analysis (audited like the other downloads)."""
    from portal.documents import render_pdf
    title = _("%(start)s to %(end)s, %(currency)s", start=filters["period"].start, end=filters["period"].end,
              currency=filters["currency"])
    body = render_pdf(template, title=title, **filters, **context)
    record("reports.export", target=name, plugin="reports", merchant_id=filters["merchant_id"],
           summary={"format": "pdf", "rows": len(context.get("rows") or [])})
    from portal.extensions import db
    db.session.commit()
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
