"""Password hashing (Argon2id, memory-hard) and the password policy."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

import os

MIN_LENGTH = 12
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
    if len(password or "") < MIN_LENGTH:
        raise WeakPassword(f"The password must have at least {MIN_LENGTH} characters.")
    if email and password.strip().lower() == email.strip().lower():
        raise WeakPassword("The password must not be the e-mail address.")
    if len(set(password)) < 4:
        raise WeakPassword("The password is too repetitive; use more different characters.")


def hash_password(password):
    return _hasher.hash(password)


def verify_password(password_hash, password):
    """True when the password matches; never raises for a wrong password."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password):
    """Spend the time of one verification, for unknown accounts."""
    verify_password(_DUMMY_HASH, password)


def needs_rehash(password_hash):
    return _hasher.check_needs_rehash(password_hash)
