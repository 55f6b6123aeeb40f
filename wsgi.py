"""WSGI entry point: ``gunicorn wsgi:app`` (and ``FLASK_APP=wsgi``)."""
from portal import create_app

app = create_app()
