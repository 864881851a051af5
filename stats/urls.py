from __future__ import annotations

from django.urls import path

from . import views

app_name = "stats"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("keys/", views.keys, name="keys"),
    path("history/", views.history, name="history"),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session"),
    path("export/", views.export, name="export"),
    path("export/data.json", views.export_json, name="export_json"),
    path("export/<slug:table>.csv", views.export_csv, name="export_csv"),
]
