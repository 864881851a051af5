from __future__ import annotations

from django import forms

from .models import User


class SettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "keyboard_layout", "daily_goal_minutes"]
        widgets = {"daily_goal_minutes": forms.NumberInput(attrs={"min": 1, "max": 240})}
