from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("courses/<slug:slug>/", views.course_detail, name="course_detail"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="lesson_detail"),
    path("lessons/<int:lesson_id>/start", views.start, name="lesson_start"),
    path("sessions/<uuid:session_id>/keystrokes", views.keystrokes, name="session_keystrokes"),
    path("sessions/<uuid:session_id>/token", views.renew_token, name="session_token"),
    path("sessions/<uuid:session_id>/complete", views.complete, name="session_complete"),
]
