"""Helpers for the finance tests: the sample files, and statement files built for a test."""
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "samples"


def sample(name):
    """The bytes of a sample file as the bank or tool wrote it."""
    return (SAMPLES / name).read_bytes()


def mt940(lines, opening="0,00", closing=None, currency="CNY", ref="STMT1", account="ACC"):
    """An MT940 statement of ``lines``: ``(yymmdd, "C"/"D", "12,34", reference, text)``."""
    body = [f":20:{ref}", f":25:{account}", ":28C:1/1", f":60F:C{lines[0][0] if lines else '260101'}{currency}{opening}"]
    total = int(opening.replace(",", ""))
    for day, mark, amount, reference, text in lines:
        body.append(f":61:{day}{day[2:]}{mark}{amount}NTRF{reference}")
        body.append(f":86:{text}")
        cents = int(amount.replace(",", ""))
        total += cents if mark == "C" else -cents
    if closing is None:
        closing = f"{total // 100},{total % 100:02d}"
    body.append(f":62F:C{lines[-1][0] if lines else '260101'}{currency}{closing}")
    body.append("-")
    return "\n".join(body).encode()
