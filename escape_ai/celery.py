import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")

app = Celery("escape_ai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
