import logging.config
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def json_logging(loglevel=None, **kwargs):
    """Worker and beat log through the project's JSON formatter (``settings.LOGGING``), not
    Celery's own: a receiver of this signal stops Celery from configuring the root logger.
    ``--loglevel`` sets the level of Celery's own lines; ``LOG_LEVEL`` the rest (runs, engine)."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger("celery").setLevel(loglevel)
