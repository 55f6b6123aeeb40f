"""What every benchmark needs first: the portal on an empty schema of its own."""
import os

from portal import access, create_app
from portal.config import _engine_options
from portal.extensions import db
from portal.money import ensure_currencies


def build_portal(url, tmp, **config):
    """The portal with every installed plugin on ``url``, emptied first; sign-in
    limits lifted so timed loops are never throttled."""
    settings = {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url),
                "SECRET_KEY": "bench", "INSTANCE_PATH": os.path.join(tmp, "instance"),
                "PORTAL_LOGIN_LIMIT_ACCOUNT": 10**6, "PORTAL_LOGIN_LIMIT_IP": 10**6}
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_currencies()
        access.sync_builtin_roles()
        db.session.commit()
    return app
