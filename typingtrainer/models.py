from __future__ import annotations

import secrets
from functools import cache
from typing import Any, ClassVar
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.layouts import LAYOUT_CHOICES


@cache
def time_zone_names() -> list[str]:
    """The IANA time zone names this machine knows, sorted."""
    return sorted(available_timezones())


@cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(time_zone_names())


def validate_time_zone(value: str) -> None:
    if value not in _known_time_zones():
        raise ValidationError(
            _("“%(value)s” is not a time zone name; use one like Europe/Berlin or UTC."),
            params={"value": value},
        )


def avatar_path(user: User, filename: str) -> str:
    """A new name for each picture, so a browser never shows a cached older one."""
    return f"avatars/{user.pk}-{secrets.token_urlsafe(8)}.webp"


class EmailUserManager(BaseUserManager["User"]):
    """Users sign in with their email address; there is no username."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        max_length=60, blank=True, help_text=_("How we greet you. Leave empty to use your email.")
    )
    keyboard_layout = models.CharField(
        max_length=12,
        choices=LAYOUT_CHOICES,
        default="qwerty",
        help_text=_("Used for the on-screen keyboard and your heatmap."),
    )
    daily_goal_minutes = models.PositiveSmallIntegerField(
        _("daily goal (minutes)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("Your days, streaks and daily goal follow this time zone."),
    )
    weekly_email = models.BooleanField(
        _("weekly progress email"),
        default=True,
        help_text=_("On Monday mornings: your minutes, sessions, speed trend and weak keys."),
    )
    # Empty: follow the browser (Accept-Language). Set at signup and by the language switcher;
    # the site, the weekly email and the coach's texts use it.
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("The language of the site, your weekly email and the coach."),
    )
    # Always a re-encoded WebP from typingtrainer.avatars, never the uploaded file itself.
    avatar = models.ImageField(upload_to=avatar_path, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[EmailUserManager] = EmailUserManager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.email

    @property
    def preferred_language(self) -> str:
        """The language to write to this learner in when no request says (emails, the coach)."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def replace_avatar(self, picture: File[bytes]) -> None:
        """Store `picture` (from avatars.reencode_avatar) as the avatar; the old file goes."""
        old = self.avatar.name
        self.avatar.save("avatar.webp", picture, save=False)  # named by avatar_path
        self.save(update_fields=["avatar"])
        if old:
            self.avatar.storage.delete(old)

    def remove_avatar(self) -> None:
        if self.avatar:
            self.avatar.delete(save=False)
            self.save(update_fields=["avatar"])
