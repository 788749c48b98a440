import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")

app = Celery("escape_ai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _queues_configure(sender, **kwargs):
    # Queue names depend on settings overridden per environment, so they are built once settings are loaded.
    from analytics.queues import celery_configure

    celery_configure(sender)
