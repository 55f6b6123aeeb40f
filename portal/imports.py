"""What every file import tells its user: the problems found, row by row."""
from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass
class RowError:
    """What is wrong, where: ``line`` as a spreadsheet numbers it (the header
    is row 1), the column's name as in the file's header ("" for the whole row)."""

    line: int
    column: str
    message: str

    def __str__(self):
        if self.column:
            return _("Row %(row)s, column %(column)s: %(problem)s", row=self.line, column=self.column,
                     problem=self.message)
        return _("Row %(row)s: %(problem)s", row=self.line, problem=self.message)
