"""The WSGI entry point: `app` for gunicorn, waitress and `flask --app wsgi`."""

from service import create_app
from service.configuration import ConfigurationError

try:
    app = create_app()
except ConfigurationError as wrong:
    # The operator needs the setting's name and the fix, not a traceback.
    raise SystemExit(f"The service cannot start: {wrong}") from None
