"""Importing statement files into an account: stored once, checked, all or nothing."""
import pytest
from sqlalchemy import func, select

from plugins.finance.models import UNBALANCED, Flag, Statement, StatementLine
from plugins.finance.services import ImportRefused, import_file
from portal.access import AccessDenied
from portal.models import AuditLog
from tests.conftest import create_user
from tests.plugins.finance.helpers import mt940, sample


def count(db, model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


DAY1 = [("260301", "C", "100,00", "NONREF", "first"), ("260301", "C", "50,00", "NONREF", "second")]
DAY2 = [("260302", "C", "20,00", "NONREF", "third"), ("260302", "D", "5,00", "NONREF", "fee")]


def test_a_sample_file_is_stored_with_its_balance_check(db, eur_account):
    result = import_file(None, eur_account, "jejik-knab.sta", sample("jejik-knab.sta"))
    assert (result.format, result.stored, result.skipped, result.unbalanced) == ("mt940", 3, 0, 1)
    statements = db.session.execute(select(Statement).order_by(Statement.id)).scalars().all()
    assert [s.balanced for s in statements] == [True, False]
    assert "798.98" in statements[1].problem
    flag = db.session.execute(select(Flag).where(Flag.kind == UNBALANCED)).scalar_one()
    assert flag.statement_id == statements[1].id and flag.status == "open"
    assert db.session.execute(select(AuditLog.action).where(AuditLog.action == "finance.import")).scalar()


def test_the_same_file_again_is_refused_and_stores_nothing(db, eur_account):
    import_file(None, eur_account, "knab.sta", sample("jejik-knab.sta"))
    with pytest.raises(ImportRefused, match="already imported"):
        import_file(None, eur_account, "knab-again.sta", sample("jejik-knab.sta"))
    assert count(db, StatementLine) == 3


def test_an_overlapping_statement_stores_only_its_new_lines(db, account):
    import_file(None, account, "march-1.sta", mt940(DAY1, ref="S1"))
    result = import_file(None, account, "march-1-2.sta", mt940(DAY1 + DAY2, ref="S2"))
    assert (result.stored, result.skipped) == (2, 2)
    assert sorted(db.session.execute(select(StatementLine.description)).scalars()) == [
        "fee", "first", "second", "third"]


def test_identical_lines_in_one_statement_are_both_kept(db, account):
    twice = [("260301", "C", "10,00", "NONREF", "coffee"), ("260301", "C", "10,00", "NONREF", "coffee")]
    result = import_file(None, account, "twice.sta", mt940(twice))
    assert result.stored == 2
    again = import_file(None, account, "twice-and-more.sta", mt940(twice + DAY2, ref="S9"))
    assert (again.stored, again.skipped) == (2, 2)


@pytest.mark.parametrize("name, problem", [
    ("self-provided-february_30.sta", "Line 6: 160230 is not a real date"),
    ("mBank-mt942.sta", "MT942"),
    ("camt053.v2.wrong.xml", "Line 3:"),
    ("cmxl-mt940.sta", "the statement is in DEM; the account EUR1 is in EUR"),
])
def test_a_broken_or_foreign_file_stores_nothing_and_says_where(db, eur_account, name, problem):
    with pytest.raises(ImportRefused) as refused:
        import_file(None, eur_account, name, sample(name))
    assert problem in str(refused.value) and name in str(refused.value)
    assert count(db, Statement) == 0 and count(db, StatementLine) == 0


def test_a_broken_line_deep_in_a_file_refuses_the_whole_file(db, account):
    good = mt940(DAY1 + DAY2).decode()
    broken = good.replace(":61:2603020302C20,00", ":61:2603020302C2O,00")
    with pytest.raises(ImportRefused, match="Line 9"):
        import_file(None, account, "broken.sta", broken.encode())
    assert count(db, StatementLine) == 0


def test_a_statement_for_another_account_number_is_refused(db, account):
    account.number = "CN12 3456"
    with pytest.raises(ImportRefused, match="for account OTHER"):
        import_file(None, account, "other.sta", mt940(DAY1, account="OTHER"))


def test_amounts_finer_than_the_currency_are_refused(db, eur_account):
    data = sample("camt053.v2.five.decimals.xml").replace(b"8.850", b"8.855")
    with pytest.raises(ImportRefused, match="8.855 has more decimals than EUR"):
        import_file(None, eur_account, "fine.xml", data)


def test_three_decimals_with_a_trailing_zero_are_fine_but_do_not_balance(db, eur_account):
    result = import_file(None, eur_account, "five.xml", sample("camt053.v2.five.decimals.xml"))
    assert result.stored == 1 and result.unbalanced == 1


def test_only_finance_staff_may_import(db, account, store):
    with pytest.raises(AccessDenied):
        import_file(create_user("merchant_admin", store.m), account, "x.sta", mt940(DAY1))
    with pytest.raises(AccessDenied):
        import_file(create_user("platform_operator"), account, "x.sta", mt940(DAY1))
    assert import_file(create_user("finance"), account, "x.sta", mt940(DAY1)).stored == 2
