"""Rewrite the initial revision (versions/0001_initial.py) from the models, by
autogenerate against an empty SQLite database: ``make migration``.

Only for while the project has one revision and no production database: once a
database has been upgraded, add a new revision (``flask db migrate -m ...``)
instead. The revision template adds the ISO currencies to the initial one.
"""
import os
import subprocess
import sys
import tempfile
from importlib.metadata import entry_points

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VERSIONS = os.path.join(HERE, "versions")
INITIAL = "0001_initial.py"


def own_plugins():
    """The plugins shipped in this repository: a third-party plugin someone
    installed must not end up in the project's migrations."""
    return sorted(ep.name for ep in entry_points(group="portal.plugins") if ep.value.startswith("plugins."))


def flask(*args, env):
    """Run ``flask <args>`` with the project's app; stop on failure."""
    subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True)


def main():
    """Autogenerate the initial revision again, upgrade a fresh database with
    it and check; the old revision is put back when any step fails."""
    others = [f for f in os.listdir(VERSIONS) if f.endswith(".py") and f != INITIAL]
    if others:
        sys.exit(f"refusing: later revisions exist ({', '.join(others)}); add a new revision instead")
    path = os.path.join(VERSIONS, INITIAL)
    with tempfile.TemporaryDirectory() as tmp:
        backup = os.path.join(tmp, INITIAL)
        if os.path.exists(path):
            os.replace(path, backup)
        env = dict(os.environ, FLASK_APP="wsgi", PORTAL_INSTANCE_PATH=tmp,
                   PORTAL_DATABASE_URL="sqlite:///" + os.path.join(tmp, "empty.db"),
                   PORTAL_PLUGINS=",".join(own_plugins()))
        try:
            flask("db", "migrate", "-m", "initial", "--rev-id", "0001", env=env)
            flask("db", "upgrade", env=env)
            flask("db", "check", env=env)
        except BaseException:
            # keep the last good revision rather than none
            if os.path.exists(backup):
                os.replace(backup, path)
            raise
    print(f"wrote {os.path.relpath(path, ROOT)}; read it before committing")


if __name__ == "__main__":
    main()
