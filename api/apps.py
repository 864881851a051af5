from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "JSON API"

    def ready(self) -> None:
        # allauth's JWT strategy signs with RS256 when a private key is configured. PyJWT imports
        # these lazily on first use, which in a fresh process fails the first token creation; the
        # imports here load them up front (see STACK_NOTES).
        import cryptography.hazmat.primitives.asymmetric.rsa
        import cryptography.hazmat.primitives.ciphers
        import cryptography.hazmat.primitives.serialization  # noqa: F401
