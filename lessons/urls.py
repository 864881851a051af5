from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("courses/<slug:slug>/", views.course_detail, name="course_detail"),
    path("courses/<slug:slug>/placement/", views.placement_page, name="placement"),
    path("courses/<slug:slug>/placement/start", views.placement_start, name="placement_start"),
    path("placement/", views.placement_pick, name="placement_pick"),
    path("lessons/<int:lesson_id>/test-out/", views.test_out_page, name="test_out"),
    path("lessons/<int:lesson_id>/test-out/start", views.test_out_start, name="test_out_start"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="lesson_detail"),
    path("lessons/<int:lesson_id>/start", views.start, name="lesson_start"),
    path("sessions/<uuid:session_id>/keystrokes", views.keystrokes, name="session_keystrokes"),
    path("sessions/<uuid:session_id>/token", views.renew_token, name="session_token"),
    path("sessions/<uuid:session_id>/complete", views.complete, name="session_complete"),
]
