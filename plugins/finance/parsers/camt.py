"""ISO 20022 CAMT.053 bank-to-customer statements, versions 2 to 8.

The versions differ little where a statement is concerned (``Stmt``, ``Bal``,
``Ntry``); elements are read by local name so one reader serves them all. The
stdlib's expat reads the file, with every element's line number kept so a
refusal names it; a DOCTYPE is refused outright (bank files never carry one,
and entity tricks need one)."""
import re
from xml.parsers import expat

from flask_babel import gettext as _

from .base import ParsedLine, ParsedStatement, StatementFileError, decimal_amount, make_date

NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})")
VERSIONS = range(2, 9)
OPENING, CLOSING = ("OPBD", "PRCD"), ("CLBD",)


class Node:
    """An element: local name, attributes, text, children, line."""

    __slots__ = ("name", "attrs", "text", "children", "line")

    def __init__(self, name, attrs, line):
        self.name, self.attrs, self.text, self.children, self.line = name, attrs, "", [], line

    def find(self, *path):
        """The first descendant along ``path`` of local names, or None."""
        node = self
        for name in path:
            node = next((c for c in node.children if c.name == name), None)
            if node is None:
                return None
        return node

    def all(self, name):
        return [c for c in self.children if c.name == name]

    def value(self, *path):
        node = self.find(*path)
        return node.text.strip() if node is not None else ""


def version(text):
    """The CAMT.053 version the namespace declares (2..8), or None."""
    match = NAMESPACE.search(text[:4000])
    return int(match.group(1)) if match else None


def _tree(text):
    parser = expat.ParserCreate(namespace_separator=" ")
    root, stack = [], []

    def start(name, attrs):
        node = Node(name.rsplit(" ", 1)[-1], attrs, parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    def end(_name):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].text += data

    def doctype(*_args):
        raise StatementFileError(_("The XML file declares a DOCTYPE; a bank statement has none, so it is refused."),
                                 parser.CurrentLineNumber)

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler, parser.StartDoctypeDeclHandler = chars, doctype
    try:
        parser.Parse(text.encode("utf-8"), True)
    except expat.ExpatError as exc:
        raise StatementFileError(_("the XML is broken: %(problem)s.", problem=expat.ErrorString(exc.code)),
                                 exc.lineno) from None
    return root[0]


def _day(node, line):
    raw = node.value("Dt") or node.value("DtTm")[:10]
    if not raw:
        raise StatementFileError(_("a date is missing."), line)
    try:
        year, month, day = (int(p) for p in raw.split("-"))
    except ValueError:
        raise StatementFileError(_("%(value)r is not a date.", value=raw), line) from None
    return make_date(year, month, day, line, raw)


def _amount(node, field_name):
    amt = node.find("Amt")
    if amt is None:
        raise StatementFileError(_("%(field)s has no amount.", field=field_name), node.line)
    value = decimal_amount(amt.text, amt.line, ".", field_name)
    if node.value("CdtDbtInd") == "DBIT":
        value = -value
    return value, amt.attrs.get("Ccy", "")


def _balance(statement, node):
    code = node.value("Tp", "CdOrPrtry", "Cd")
    value, currency = _amount(node, _("balance %(code)s", code=code))
    if code in OPENING and statement.opening is None:
        statement.opening, statement.opening_currency = value, currency
        statement.starts_on = _day(node.find("Dt") or node, node.line)
    elif code in CLOSING:
        statement.closing, statement.closing_currency = value, currency
        statement.ends_on = _day(node.find("Dt") or node, node.line)


def _details(entry):
    tx = entry.find("NtryDtls", "TxDtls")
    if tx is None:
        return "", "", ""
    reference = (tx.value("RmtInf", "Strd", "CdtrRefInf", "Ref") or tx.value("Refs", "EndToEndId")
                 or tx.value("RmtInf", "Ustrd"))
    if reference == "NOTPROVIDED":
        reference = ""
    parties = tx.find("RltdPties")
    counterparty = ""
    if parties is not None:
        side = "Dbtr" if entry.value("CdtDbtInd") == "CRDT" else "Cdtr"
        counterparty = parties.value(side, "Nm") or parties.value(side, "Pty", "Nm")
    description = " ".join(n.text.strip() for n in tx.find("RmtInf").all("Ustrd")) if tx.find("RmtInf") else ""
    return reference, counterparty, description


def _entry(node, currency):
    amount, line_currency = _amount(node, _("entry"))
    status = node.value("Sts", "Cd") or node.value("Sts")
    if status and status != "BOOK":
        return None  # pending or informational entries are not on the books yet
    booked = node.find("BookgDt") or node.find("ValDt")
    if booked is None:
        raise StatementFileError(_("the entry has no booking date."), node.line)
    reference, counterparty, description = _details(node)
    value_node = node.find("ValDt")
    return ParsedLine(line=node.line, booked_on=_day(booked, node.line),
                      value_on=_day(value_node, node.line) if value_node is not None else None,
                      amount=amount, currency=line_currency or currency, reference=reference,
                      counterparty=counterparty, description=description or node.value("AddtlNtryInf"),
                      bank_ref=node.value("AcctSvcrRef"))


def _statement(node):
    account = node.find("Acct")
    statement = ParsedStatement(line=node.line, currency=account.value("Ccy") if account else "",
                                reference=node.value("Id") or node.value("ElctrncSeqNb"),
                                account=(account.value("Id", "IBAN") or account.value("Id", "Othr", "Id"))
                                if account else "")
    for balance in node.all("Bal"):
        _balance(statement, balance)
    statement.currency = statement.currency or statement.opening_currency
    for entry in node.all("Ntry"):
        parsed = _entry(entry, statement.currency)
        if parsed is not None:
            statement.lines.append(parsed)
    if statement.opening is None or statement.closing is None:
        raise StatementFileError(_("the statement %(ref)s has no opening (OPBD) or closing (CLBD) balance.",
                                   ref=statement.reference), node.line)
    return statement


def parse(text):
    """Every ``Stmt`` of a CAMT.053 document."""
    number = version(text)
    if number not in VERSIONS:
        raise StatementFileError(_("This XML file is not a CAMT.053 statement of version 2 to 8."))
    root = _tree(text)
    message = root.find("BkToCstmrStmt")
    if message is None:
        raise StatementFileError(_("The file has no BkToCstmrStmt message."), root.line)
    statements = [_statement(s) for s in message.all("Stmt")]
    if not statements:
        raise StatementFileError(_("The file has a group header but no statement (Stmt) in it."), message.line)
    return statements
