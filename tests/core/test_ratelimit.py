"""Sign-in attempt limits per account and per IP: memory counter and Redis."""
import types
import uuid

import pytest
from sqlalchemy import select

from portal.auth.ratelimit import LoginLimiter, MemoryCounter, RedisCounter, limiter_for
from portal.models import AuditLog, UserSession
from tests.conftest import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/0"


def use_limiter(app, monkeypatch, counter, per_account=3, per_ip=100, window=900):
    limiter = LoginLimiter(counter, per_account, per_ip, window)
    monkeypatch.setitem(app.extensions, "portal.login_limiter", limiter)
    return limiter


def attempt(client, email, password="wrong-password-123", ip="127.0.0.1"):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip})


@pytest.fixture()
def redis_counter():
    """A Redis counter with keys of its own, removed afterwards."""
    counter = RedisCounter(REDIS_URL)
    try:
        counter._redis.ping()
    except Exception as exc:  # only an unreachable server skips
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    counter.prefix = f"portal:test:{uuid.uuid4().hex}:"
    yield counter
    for key in counter._redis.scan_iter(counter.prefix + "*"):
        counter._redis.delete(key)


def check_account_lockout(app, client, factories, db):
    user = factories.user()
    for _ in range(3):
        assert attempt(client, user.email).status_code == 401
    r = attempt(client, user.email, PASSWORD)  # even the right password waits now
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 900
    assert "Too many sign-in attempts. Try again in 15 minute(s)." in r.get_data(as_text=True)
    assert db.session.execute(select(UserSession).where(UserSession.user_id == user.id)).first() is None
    throttled = db.session.execute(select(AuditLog).where(AuditLog.action == "auth.login_throttled",
                                                          AuditLog.target == user.email)).scalars().all()
    assert len(throttled) == 1
    # another account from the same address is not locked
    other = factories.user()
    assert attempt(client, other.email, PASSWORD).status_code == 302
    return user


def test_too_many_failures_lock_the_account(app, client, factories, db, monkeypatch):
    use_limiter(app, monkeypatch, MemoryCounter())
    check_account_lockout(app, client, factories, db)


def test_too_many_failures_lock_the_address(app, client, factories, db, monkeypatch):
    use_limiter(app, monkeypatch, MemoryCounter(), per_account=100, per_ip=3)
    user = factories.user()
    for n in range(3):
        assert attempt(client, f"guess{n}@example.test", ip="10.0.0.1").status_code == 401
    r = attempt(client, user.email, PASSWORD, ip="10.0.0.1")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert attempt(client, user.email, PASSWORD, ip="10.0.0.2").status_code == 302


def test_a_successful_sign_in_clears_the_account_count(app, client, factories, db, monkeypatch):
    use_limiter(app, monkeypatch, MemoryCounter())
    user = factories.user()
    for _ in range(2):
        attempt(client, user.email)
    assert attempt(client, user.email, PASSWORD).status_code == 302
    for _ in range(2):
        assert attempt(app.test_client(), user.email).status_code == 401
    assert attempt(app.test_client(), user.email, PASSWORD).status_code == 302


def test_the_lock_ends_with_the_window():
    now = [1000.0]
    limiter = LoginLimiter(MemoryCounter(clock=lambda: now[0]), per_account=2, per_ip=50, window=60)
    limiter.failed("a@example.test", "10.0.0.9")
    limiter.failed("A@Example.test ", "10.0.0.9")  # the same account, however it is typed
    assert limiter.retry_after("a@example.test", "10.0.0.8") == 61
    now[0] += 30
    assert limiter.retry_after("a@example.test", "10.0.0.8") == 31
    now[0] += 31
    assert limiter.retry_after("a@example.test", "10.0.0.8") == 0


def test_the_memory_counter_forgets_finished_windows(monkeypatch):
    import portal.auth.ratelimit as ratelimit
    monkeypatch.setattr(ratelimit, "_PRUNE_AT", 10)
    now = [0.0]
    counter = MemoryCounter(clock=lambda: now[0])
    for n in range(10):
        counter.hit(f"ip:{n}", 60)
    now[0] = 100.0
    counter.hit("ip:new", 60)
    assert set(counter._hits) == {"ip:new"}


def test_limiter_uses_redis_when_configured():
    config = {"PORTAL_LOGIN_LIMIT_ACCOUNT": 5, "PORTAL_LOGIN_LIMIT_IP": 20, "PORTAL_LOGIN_LIMIT_WINDOW": 900}
    memory = limiter_for(types.SimpleNamespace(config={**config, "PORTAL_REDIS_URL": None}))
    shared = limiter_for(types.SimpleNamespace(config={**config, "PORTAL_REDIS_URL": REDIS_URL}))
    assert isinstance(memory.counter, MemoryCounter) and isinstance(shared.counter, RedisCounter)
    assert (shared.per_account, shared.per_ip, shared.window) == (5, 20, 900)


def test_redis_counter_locks_the_account(app, client, factories, db, monkeypatch, redis_counter):
    use_limiter(app, monkeypatch, redis_counter)
    check_account_lockout(app, client, factories, db)


def test_redis_counts_are_shared_by_every_worker(redis_counter):
    email, ip = "someone@example.test", "10.0.0.1"
    worker_a = LoginLimiter(redis_counter, per_account=2, per_ip=50, window=120)
    other_process = RedisCounter(REDIS_URL)
    other_process.prefix = redis_counter.prefix
    worker_b = LoginLimiter(other_process, per_account=2, per_ip=50, window=120)
    worker_a.failed(email, ip)
    assert worker_b.retry_after(email, ip) == 0
    worker_b.failed(email, ip)
    wait = worker_a.retry_after(email, ip)
    assert 0 < wait <= 120
    # the keys expire with the window, so a lock never outlives it
    assert 0 < redis_counter._redis.ttl(redis_counter.prefix + f"acct:{email}") <= 120
    worker_b.succeeded(email, ip)
    assert worker_a.retry_after(email, ip) == 0
