"""The WSGI entry point: `app` for gunicorn, waitress and `flask --app wsgi`."""

from service import create_app

app = create_app()
