"""Sign-in attempt limits, per account and per IP.

Counts failed attempts in a fixed window. In memory by default (one process:
a developer machine); in Redis when ``PORTAL_REDIS_URL`` is set, so every
worker and host shares the counts.
"""
import threading
import time

# the memory counter forgets finished windows once it holds this many keys
_PRUNE_AT = 10_000


class MemoryCounter:
    """Counts per key in this process; thread-safe."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._hits = {}

    def hit(self, key, window):
        """Count one attempt for ``key`` in the current window."""
        now = self._clock()
        with self._lock:
            if len(self._hits) >= _PRUNE_AT:
                self._hits = {k: v for k, v in self._hits.items() if now - v[1] < window}
            count, start = self._hits.get(key, (0, now))
            if now - start >= window:
                count, start = 0, now
            self._hits[key] = (count + 1, start)

    def status(self, key, window):
        """(count, seconds until the window resets)."""
        now = self._clock()
        with self._lock:
            count, start = self._hits.get(key, (0, now))
        if now - start >= window:
            return 0, 0
        return count, max(1, int(window - (now - start)) + 1)

    def reset(self, key):
        """Forget the attempts of ``key``."""
        with self._lock:
            self._hits.pop(key, None)


class RedisCounter:
    """Counts shared by every worker through Redis; keys expire with the window."""

    prefix = "portal:login:"

    def __init__(self, url):
        import redis
        self._redis = redis.Redis.from_url(url)

    def hit(self, key, window):
        """Count one attempt; the first attempt of a window sets its expiry."""
        name = self.prefix + key
        pipe = self._redis.pipeline()
        # SET NX EX then INCR: the key always has an expiry, on any Redis version
        pipe.set(name, 0, ex=window, nx=True)
        pipe.incr(name)
        pipe.execute()

    def status(self, key, window):
        """(count, seconds until the window resets)."""
        pipe = self._redis.pipeline()
        pipe.get(self.prefix + key)
        pipe.ttl(self.prefix + key)
        count, ttl = pipe.execute()
        return int(count or 0), max(int(ttl), 1) if count else 0

    def reset(self, key):
        """Forget the attempts of ``key``."""
        self._redis.delete(self.prefix + key)


class LoginLimiter:
    """Too many failures for an account, or from an IP, lock that account or
    IP out until the window ends."""

    def __init__(self, counter, per_account, per_ip, window):
        self.counter, self.per_account, self.per_ip, self.window = counter, per_account, per_ip, window

    @staticmethod
    def _keys(email, ip):
        return f"acct:{(email or '').strip().lower()}", f"ip:{ip}"

    def retry_after(self, email, ip):
        """Seconds to wait, or 0 when another attempt is allowed."""
        account, address = self._keys(email, ip)
        waits = [0]
        count, ttl = self.counter.status(account, self.window)
        if count >= self.per_account:
            waits.append(ttl)
        count, ttl = self.counter.status(address, self.window)
        if count >= self.per_ip:
            waits.append(ttl)
        return max(waits)

    def failed(self, email, ip):
        """Count a failed attempt against the account and the IP."""
        for key in self._keys(email, ip):
            self.counter.hit(key, self.window)

    def succeeded(self, email, ip):
        """A correct password clears the account's count (not the IP's)."""
        self.counter.reset(self._keys(email, ip)[0])


def limiter_for(app):
    """The limiter the app's settings ask for: Redis when ``PORTAL_REDIS_URL`` is set."""
    url = app.config.get("PORTAL_REDIS_URL")
    counter = RedisCounter(url) if url else MemoryCounter()
    return LoginLimiter(counter, app.config["PORTAL_LOGIN_LIMIT_ACCOUNT"],
                        app.config["PORTAL_LOGIN_LIMIT_IP"], app.config["PORTAL_LOGIN_LIMIT_WINDOW"])
