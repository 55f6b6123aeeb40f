"""Sign-in attempt limits, per account and per IP.

Counts failed attempts in a fixed window. In memory by default (one process:
a developer machine); in Redis when ``PORTAL_REDIS_URL`` is set, so every
worker and host shares the counts.
"""
import threading
import time


class MemoryCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self._hits = {}

    def hit(self, key, window):
        now = time.monotonic()
        with self._lock:
            count, start = self._hits.get(key, (0, now))
            if now - start >= window:
                count, start = 0, now
            self._hits[key] = (count + 1, start)

    def status(self, key, window):
        """(count, seconds until the window resets)."""
        now = time.monotonic()
        with self._lock:
            count, start = self._hits.get(key, (0, now))
        if now - start >= window:
            return 0, 0
        return count, max(1, int(window - (now - start)) + 1)

    def reset(self, key):
        with self._lock:
            self._hits.pop(key, None)


class RedisCounter:
    def __init__(self, url):
        import redis
        self._redis = redis.Redis.from_url(url)

    def hit(self, key, window):
        pipe = self._redis.pipeline()
        pipe.incr(f"portal:login:{key}")
        pipe.expire(f"portal:login:{key}", window, nx=True)
        pipe.execute()

    def status(self, key, window):
        pipe = self._redis.pipeline()
        pipe.get(f"portal:login:{key}")
        pipe.ttl(f"portal:login:{key}")
        count, ttl = pipe.execute()
        return int(count or 0), max(int(ttl), 0)

    def reset(self, key):
        self._redis.delete(f"portal:login:{key}")


class LoginLimiter:
    """Too many failures for an account or an IP lock both out for the window."""

    def __init__(self, counter, per_account, per_ip, window):
        self.counter, self.per_account, self.per_ip, self.window = counter, per_account, per_ip, window

    @staticmethod
    def _keys(email, ip):
        return f"acct:{(email or '').strip().lower()}", f"ip:{ip}"

    def retry_after(self, email, ip):
        """Seconds to wait, or 0 when another attempt is allowed."""
        account, address = self._keys(email, ip)
        waits = []
        count, ttl = self.counter.status(account, self.window)
        if count >= self.per_account:
            waits.append(ttl)
        count, ttl = self.counter.status(address, self.window)
        if count >= self.per_ip:
            waits.append(ttl)
        return max(waits) if waits else 0

    def failed(self, email, ip):
        for key in self._keys(email, ip):
            self.counter.hit(key, self.window)

    def succeeded(self, email, ip):
        self.counter.reset(self._keys(email, ip)[0])


def limiter_for(app):
    url = app.config.get("PORTAL_REDIS_URL")
    counter = RedisCounter(url) if url else MemoryCounter()
    return LoginLimiter(counter, app.config["PORTAL_LOGIN_LIMIT_ACCOUNT"],
                        app.config["PORTAL_LOGIN_LIMIT_IP"], app.config["PORTAL_LOGIN_LIMIT_WINDOW"])
