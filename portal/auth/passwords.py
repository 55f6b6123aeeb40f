"""Password hashing (Argon2id, memory-hard) and the password policy."""
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

MIN_LENGTH = 12
# long enough for any passphrase, short enough that hashing stays cheap
MAX_LENGTH = 1024
# argon2id with the library's defaults (RFC 9106 low-memory profile: 64 MiB, t=3).
# The test suite alone sets PORTAL_ARGON2_PROFILE=test to hash thousands of
# passwords quickly; it is still argon2id, only with less memory.
if os.environ.get("PORTAL_ARGON2_PROFILE") == "test":
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
else:
    _hasher = PasswordHasher()
# verified against when the account does not exist, so both paths cost the same
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")


class WeakPassword(ValueError):
    """The password breaks the policy; the message says how."""


def check_policy(password, email=""):
    """Raise ``WeakPassword`` unless the password is 12 to 1024 characters,
    is not the e-mail address and is not one character repeated."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(_("The password must have at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise WeakPassword(_("The password must have at most %(n)d characters.", n=MAX_LENGTH))
    if email and password.strip().lower() == email.strip().lower():
        raise WeakPassword(_("The password must not be the e-mail address."))
    if len(set(password)) < 4:
        raise WeakPassword(_("The password is too repetitive; use more different characters."))


def hash_password(password):
    """The Argon2id hash of ``password``, with its own random salt."""
    return _hasher.hash(password)


def verify_password(password_hash, password):
    """True when the password matches; never raises for a wrong password."""
    if not password_hash:
        burn_time(password)  # an account without a hash never signs in
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password):
    """Spend the time of one verification, for unknown accounts."""
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        pass


def needs_rehash(password_hash):
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
