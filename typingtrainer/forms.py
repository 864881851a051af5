from __future__ import annotations

from typing import Any, ClassVar

from allauth.account import forms as allauth_forms
from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .avatars import FORMATS, MAX_BYTES, MAX_SIDE, AvatarRejected, reencode_avatar
from .models import User, time_zone_names, validate_time_zone


class SettingsForm(forms.ModelForm):
    # Not the model's ImageField: the upload is checked and re-encoded by avatars.reencode_avatar
    # and only its result is stored.
    avatar = forms.FileField(
        label=_("Your picture"),
        required=False,
        widget=forms.FileInput(
            attrs={"accept": ",".join(f"image/{name.lower()}" for name in FORMATS)}
        ),
        help_text=format_lazy(
            _(
                "A {formats} image of up to {megabytes} MB; "
                "stored at most {side}×{side} pixels, without its metadata."
            ),
            formats=", ".join(FORMATS.values()),
            megabytes=MAX_BYTES // 2**20,
            side=MAX_SIDE,
        ),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my picture"), required=False)

    class Meta:
        model = User
        fields = [
            "display_name",
            "keyboard_layout",
            "language",
            "daily_goal_minutes",
            "time_zone",
            "weekly_email",
        ]
        widgets = {"daily_goal_minutes": forms.NumberInput(attrs={"min": 1, "max": 240})}
        # The model's field names as labels, translatable (verbose names would need a migration).
        labels = {
            "display_name": _("Display name"),
            "keyboard_layout": _("Keyboard layout"),
            "language": _("Language"),
            "daily_goal_minutes": _("Daily goal (minutes)"),
            "time_zone": _("Time zone"),
            "weekly_email": _("Weekly progress email"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_suffix = ""  # labels without a colon, as on the other account pages
        # A list to pick from; the model's validator still checks what is posted.
        self.fields["time_zone"].widget = forms.Select(
            choices=[(name, name.replace("_", " ")) for name in time_zone_names()]
        )
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("The browser's language")),
            *settings.LANGUAGES,
        ]
        if not self.instance.avatar:
            del self.fields["remove_avatar"]

    def clean_avatar(self) -> Any:
        upload = self.cleaned_data.get("avatar")
        if not upload:
            return None
        try:
            return reencode_avatar(upload)
        except AvatarRejected as rejected:
            raise forms.ValidationError(rejected.message, code="avatar") from rejected

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            if self.cleaned_data.get("avatar"):
                user.replace_avatar(self.cleaned_data["avatar"])
            elif self.cleaned_data.get("remove_avatar"):
                user.remove_avatar()
        return user


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To make sure it is you."),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password


class LoginForm(allauth_forms.LoginForm):
    """allauth's login form in the site's words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.fields["login"].label = _("Email")
        if "remember" in self.fields:
            self.fields["remember"].label = _("Remember me")


class SignupForm(allauth_forms.SignupForm):
    """allauth's signup form, plus the browser's time zone (static/js/timezone.js fills the
    hidden field). A name zoneinfo does not know, or none, leaves the learner on UTC: the zone is
    a convenience the learner can change in the settings, never a reason to refuse a signup."""

    time_zone = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.fields["password2"].label = _("Password again")
        self.fields["password2"].widget.attrs["placeholder"] = _("Password again")

    def clean_time_zone(self) -> str:
        value = (self.cleaned_data.get("time_zone") or "").strip()
        try:
            validate_time_zone(value)
        except forms.ValidationError:
            return "UTC"
        return value

    def custom_signup(self, request: HttpRequest, user: Any) -> None:
        user.time_zone = self.cleaned_data.get("time_zone") or "UTC"
        user.save(update_fields=["time_zone"])


class _SiteWords:
    """allauth's other account forms with the site's labels: sentence case, no colons."""

    labels: ClassVar[dict[str, Any]] = {}
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        for name, label in self.labels.items():
            if name in self.fields:
                self.fields[name].label = label
                self.fields[name].widget.attrs["placeholder"] = label


class ChangePasswordForm(_SiteWords, allauth_forms.ChangePasswordForm):
    labels = {
        "oldpassword": _("Current password"),
        "password1": _("New password"),
        "password2": _("New password again"),
    }


class SetPasswordForm(_SiteWords, allauth_forms.SetPasswordForm):
    labels = {"password1": _("Password"), "password2": _("Password again")}


class ResetPasswordForm(_SiteWords, allauth_forms.ResetPasswordForm):
    labels = {"email": _("Email")}


class ResetPasswordKeyForm(_SiteWords, allauth_forms.ResetPasswordKeyForm):
    labels = {"password1": _("New password"), "password2": _("New password again")}


class AddEmailForm(_SiteWords, allauth_forms.AddEmailForm):
    labels = {"email": _("Email")}
