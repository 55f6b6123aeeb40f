"""``/healthz``: is the process up and can it reach its database."""
import time

from flask import Blueprint, jsonify
from sqlalchemy import text

from ..extensions import csrf, db

bp = Blueprint("health", __name__)
csrf.exempt(bp)


@bp.route("/healthz")
def healthz():
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        database = {"status": "ok", "dialect": db.engine.dialect.name,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
        status = 200
    except Exception as exc:  # report, never crash the health check
        database = {"status": "error", "error": exc.__class__.__name__}
        status = 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status
