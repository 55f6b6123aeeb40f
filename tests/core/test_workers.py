"""Two gunicorn workers agree on a plugin switched off by another process.

Each worker caches the enabled state behind a version counter in the database;
a toggle from the command line (a third process) bumps it, and the very next
request in either worker must see it: 404 for the plugin's page, no menu entry.
The gunicorn access log names the worker (pid) that served each request."""
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest

from tests.servers import free_port, wait_until_up

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMAIL, PASSWORD = "workers@example.test", "correct-horse-battery"
SETUP = f"""
from portal import access, create_app
from portal.auth import services
from portal.extensions import db
from portal.money import ensure_currencies
app = create_app()
with app.app_context():
    db.create_all()
    ensure_currencies()
    access.sync_builtin_roles()
    services.create_user({EMAIL!r}, {PASSWORD!r}, [services.role_by_name("platform_admin")])
    db.session.commit()
"""

pytestmark = pytest.mark.slow



@pytest.fixture()
def env(tmp_path):
    environ = dict(os.environ)
    environ.update({
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
        "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORTAL_SECRET_KEY": "workers-test-secret",
        "PORTAL_PLUGINS": "hello",
        "PORTAL_ARGON2_PROFILE": "test",
        "FLASK_APP": "wsgi",
    })
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=environ, check=True, timeout=60)
    return environ


@pytest.fixture()
def server(env, tmp_path):
    """``(base_url, access_log_path)`` of ``gunicorn -w 2 wsgi:app``; killed afterwards."""
    port, log = free_port(), tmp_path / "access.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--access-logfile", str(log),
         "--access-logformat", "%(p)s %(s)s %(U)s", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc, timeout=15)
        yield base, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stderr.close()



class Browser:
    """Keeps the session cookie, like a browser; answers (status, body)."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self):
        status, page = self.request("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, page = self.request("/login", {"email": EMAIL, "password": PASSWORD, "csrf_token": token})
        assert status == 200 and "Dashboard" in page, page[:500]


def served_by(log, status, path):
    """The pids of the workers that answered ``path`` with ``status``, per the access log."""
    pids = set()
    for line in log.read_text().splitlines():
        pid, code, url = line.split(" ", 2)
        if code == str(status) and url == path:
            pids.add(pid)
    return pids


def hammer(browser, log, path, status, rounds=8):
    """Concurrent requests until both workers have answered ``path``; returns
    every status seen."""
    seen = []
    with ThreadPoolExecutor(4) as pool:
        for _ in range(rounds):
            seen += [s for s, _ in pool.map(lambda _: browser.request(path), range(8))]
            if len(served_by(log, status, path)) >= 2:
                break
    return seen


def test_both_workers_see_a_toggle_from_another_process_at_once(env, server):
    started = time.monotonic()
    base, log = server
    browser = Browser(base)
    browser.sign_in()

    assert set(hammer(browser, log, "/hello/", 200)) == {200}
    assert len(served_by(log, 200, "/hello/")) == 2, "both workers must have cached the state"
    status, home = browser.request("/")
    assert 'href="/hello/"' in home

    result = subprocess.run([sys.executable, "-m", "flask", "portal", "plugins", "disable", "hello"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "hello disabled." in result.stdout

    assert set(hammer(browser, log, "/hello/", 404)) == {404}, "a worker served the plugin after it was disabled"
    assert len(served_by(log, 404, "/hello/")) == 2
    homes = [browser.request("/") for _ in range(6)]
    assert all(status == 200 and 'href="/hello/"' not in page for status, page in homes)
    assert time.monotonic() - started < 20
