from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog

from api.core import api, not_found
from billing import views as billing_views

from . import views

admin.site.site_header = _("TypingTrainer admin")
admin.site.site_title = _("TypingTrainer admin")
admin.site.index_title = _("Courses, learners and the business")

# The widget's strings (djangojs.po) for the request's language. Its text changes only with a
# deploy, so browsers revalidate it with If-Modified-Since against the process start and get a
# 304; LocaleMiddleware adds Vary: Accept-Language, Cookie.
_STARTED = timezone.now()
javascript_catalog = last_modified(lambda request: _STARTED)(
    JavaScriptCatalog.as_view(packages=["typingtrainer"])
)

# allauth answers its rate limits with ROOT_URLCONF's handler429 (Django itself has none).
handler429 = "typingtrainer.accounts.too_many_requests"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("jsi18n/", javascript_catalog, name="javascript-catalog"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_page, name="metrics"),
    path("accounts/settings/", views.account_settings, name="account_settings"),
    path("accounts/delete/", views.delete_account, name="account_delete"),
    path("accounts/", include("allauth.urls")),
    path("courses/", include("courses.urls")),
    path("stats/", include("stats.urls")),
    path("pricing/", billing_views.pricing, name="pricing"),
    path("billing/", include("billing.urls")),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("coach/", include("coach.urls")),
    path("", include("lessons.urls")),
    path("admin/", admin.site.urls),
    # The JSON API (DESIGN §11) and allauth headless, which serves its login, signup, logout,
    # token refresh and password reset (the mapping is in the API's description and the README).
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>(?s:.*))$", not_found),
    path("_allauth/", include("allauth.headless.urls")),
]
# Learners' avatars on a developer machine; in production the proxy serves MEDIA_ROOT (README).
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
