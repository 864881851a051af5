from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LessonsConfig(AppConfig):
    name = "lessons"
    verbose_name = _("Practice")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from courses.authoring import register_unlock_rule

        from .access import opens_for_free_learner
        from .attempts import claim_guest_sessions_on_login

        # Wiring only: the work is done by `attempts.claim_guest_sessions`.
        user_logged_in.connect(claim_guest_sessions_on_login, dispatch_uid="claim_guest_sessions")
        # The authors' lock-out warning asks the one unlock rule (courses knows nothing of us).
        register_unlock_rule(opens_for_free_learner)
