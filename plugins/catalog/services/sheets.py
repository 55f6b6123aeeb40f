"""Spreadsheet files for import and export: CSV (UTF-8, or GBK / Latin-1
detected and converted) and XLSX (openpyxl).

Reading streams the rows (``csv.reader`` over the stored file, openpyxl in
read-only mode), so a 10,000-row file is never held as one big list of cells
twice. Row numbers are the ones a spreadsheet shows: the header is row 1, and a
cell holding a line break (a Shopify description) does not shift the rows after it.

Formulas: a value that a spreadsheet would run (it starts with = + - @, a tab
or a carriage return) is written with a leading apostrophe, the usual defence
against CSV injection; reading strips that apostrophe again so an export
re-imports unchanged, and refuses a bare ``=...`` cell, whose result the portal
cannot know.
"""
import codecs
import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMNS = 300
# an XLSX is a zip: a few MB may unpack to gigabytes (a "zip bomb")
MAX_XLSX_UNPACKED = 300 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
# characters XML 1.0 (so XLSX) cannot hold
_XML_ILLEGAL = {c: None for c in list(range(0, 9)) + [11, 12] + list(range(14, 32))}


class SheetError(ValueError):
    """The file cannot be read as a table; the message says why and what to do."""


# -- text encodings ---------------------------------------------------------------

def _mostly_chinese(text):
    """True when the non-ASCII characters of ``text`` are (almost all) common
    Chinese ones: GBK read as Latin-1 would be the other way round, and Latin-1
    read as GBK gives rare characters outside GB2312."""
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide:
        return False
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common >= 0.95 * len(wide)


def decode_text(data):
    """``(text, encoding)`` of an uploaded text file: UTF-8 (with or without a
    BOM), UTF-16 with a BOM (Excel's "Unicode text"), GBK/GB18030 when it reads
    as Chinese, else Windows-1252/Latin-1. Raises ``SheetError`` for binary data."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise SheetError(_("The file says it is UTF-16 text but is not; save it as \"CSV UTF-8\".")) from None
    if b"\x00" in data:
        raise SheetError(_("The file is not a text (CSV) file; save it as \"CSV UTF-8\" or as an Excel "
                           "workbook (.xlsx)."))
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _mostly_chinese(text):
            return text, "GBK"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


# -- cells ------------------------------------------------------------------------

def escape_formula(value):
    """A cell value safe from spreadsheets: text starting with = + - @ tab or
    CR gets a leading apostrophe. Other values are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_formula(text):
    """Undo ``escape_formula`` on a cell read back."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


def is_formula(text):
    """A bare formula (``=SUM(A1:A3)``): its value is unknown to the portal."""
    return text.startswith("=") and len(text) > 1


def _cell_text(value):
    """An XLSX cell as the text a user typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # repr gives the shortest text that reads back as the same double: 19.99, not 19.9899999...
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- reading ----------------------------------------------------------------------

class Table:
    """The rows of one uploaded file: ``header`` (trimmed names) and
    ``rows()``, which yields ``(row number, [cell text, ...])`` for every
    non-empty row after the header."""

    def __init__(self, header, rows, header_line=1):
        self.header = header
        self._rows = rows
        self.header_line = header_line

    def rows(self):
        """The data rows, streamed; blank rows are skipped (but counted)."""
        return self._rows


def _delimiter(first_line):
    """The separator of a CSV header line: comma, or the semicolon European
    spreadsheets write, or a tab."""
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_rows(reader, line_number):
    for cells in reader:
        line_number += 1
        if any(c.strip() for c in cells):
            yield line_number, cells


def open_csv(fh):
    """A ``Table`` over an open UTF-8 text stream (``newline=""``)."""
    first = fh.readline()
    if not first.strip():
        raise SheetError(_("The file is empty; its first row must name the columns."))
    delimiter = _delimiter(first)
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        raise SheetError(_("The header row cannot be read (%(problem)s).", problem=exc)) from None
    return Table(_clean_header(header), _guarded(csv.reader(fh, delimiter=delimiter), 1))


def _guarded(reader, line):
    """CSV rows, turning a broken quote into a message that names the row."""
    rows = _csv_rows(reader, line)
    while True:
        try:
            item = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SheetError(_("Row %(row)s: this is not a readable CSV line (%(problem)s).",
                               row=reader.line_num, problem=exc)) from None
        yield item


def _clean_header(cells):
    if len(cells) > MAX_COLUMNS:
        raise SheetError(_("The file has %(n)s columns; at most %(max)s are read.", n=len(cells), max=MAX_COLUMNS))
    return [str(c if c is not None else "").strip().lstrip("\ufeff") for c in cells]


def check_xlsx_size(path):
    """Refuse a workbook that unpacks to more than ``MAX_XLSX_UNPACKED``."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise SheetError(_("The workbook is damaged and cannot be opened; save it again as .xlsx.")) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise SheetError(_("The workbook unpacks to %(mb)s MB, more than the %(max)s MB allowed; split it.",
                           mb=unpacked // (1024 * 1024), max=MAX_XLSX_UNPACKED // (1024 * 1024)))


def open_xlsx(path):
    """A ``Table`` over the first worksheet of a workbook on disk (read-only
    mode: rows are parsed as they are asked for). Returns ``(table, workbook)``;
    close the workbook when done."""
    from openpyxl import load_workbook

    check_xlsx_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a damaged file
        raise SheetError(_("The workbook cannot be opened (%(problem)s); save it again as .xlsx.",
                           problem=exc)) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    for line, cells in enumerate(rows, start=1):
        if any(c not in (None, "") for c in cells):
            header = _clean_header([_cell_text(c) for c in cells])
            return Table(header, _xlsx_rows(rows, line), header_line=line), workbook
    workbook.close()
    raise SheetError(_("The workbook's first sheet is empty; its first row must name the columns."))


def _xlsx_rows(rows, line):
    for cells in rows:
        line += 1
        texts = [_cell_text(c) for c in cells]
        if any(t.strip() for t in texts):
            yield line, texts


# -- writing ----------------------------------------------------------------------

def csv_line(cells):
    """One CSV line (``\\r\\n`` ended) with formulas escaped."""
    out = io.StringIO()
    csv.writer(out).writerow([escape_formula(_plain(c)) for c in cells])
    return out.getvalue()


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value if isinstance(value, str) else str(value)


def xlsx_cell(value):
    """A value for openpyxl: text escaped and stripped of what XML cannot
    hold; numbers (``Decimal`` included) kept as numbers."""
    if isinstance(value, str):
        return escape_formula(value.translate(_XML_ILLEGAL))
    return value


def write_xlsx(path, header, rows, title="products"):
    """Write ``header`` and ``rows`` (an iterable of lists) to ``path`` in
    openpyxl's write-only mode, so memory stays flat however many rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    bold = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        bold.append(cell)
    sheet.append(bold)
    count = 0
    for row in rows:
        sheet.append([xlsx_cell(v) for v in row])
        count += 1
    workbook.save(path)
    return count
