from __future__ import annotations

from django.urls import path

from . import views

app_name = "coach"

urlpatterns = [
    path("", views.home, name="home"),
    path("exercises/", views.new_exercise, name="new_exercise"),
    path("exercises/<int:pk>/", views.exercise_detail, name="exercise"),
    path("exercises/<int:pk>/start", views.exercise_start, name="exercise_start"),
    path("chat/", views.chat, name="chat"),
]
