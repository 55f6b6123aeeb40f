"""Helpers for tests that start a real server process on 127.0.0.1."""
import socket
import time
import urllib.request


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url, process, timeout=60):
    """Return once ``url``/healthz answers 200; fail with the server's own
    error output if it exits first, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
            raise AssertionError(f"the server exited with {process.returncode}: {errors}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the server did not answer on {url} within {timeout}s")
