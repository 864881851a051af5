from __future__ import annotations

import os

from celery import Celery

from . import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "typingtrainer.settings")

app = Celery("typingtrainer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
metrics.connect_celery(app)
