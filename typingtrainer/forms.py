from __future__ import annotations

from typing import Any

from django import forms

from .models import User, time_zone_names


class SettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "display_name",
            "keyboard_layout",
            "daily_goal_minutes",
            "time_zone",
            "weekly_email",
        ]
        widgets = {"daily_goal_minutes": forms.NumberInput(attrs={"min": 1, "max": 240})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A list to pick from; the model's validator still checks what is posted.
        self.fields["time_zone"].widget = forms.Select(
            choices=[(name, name.replace("_", " ")) for name in time_zone_names()]
        )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To make sure it is you.",
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
