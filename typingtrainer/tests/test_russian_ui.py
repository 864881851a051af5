"""The site in Russian: from the browser's Accept-Language, from the footer's language switcher
(a cookie for guests, User.language for learners, applied when they log in), in the weekly email
and the coach's report; and a Russian speaker who signs up types on ЙЦУКЕН, Russian course first."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from coach.models import Report
from conftest import PASSWORD, make_user
from courses.models import Course, Lesson
from lessons.tests.conftest import play, typed_keys
from stats.models import DailyStat, KeyStat
from stats.weekly import send_due_weekly_emails
from typingtrainer.models import User

pytestmark = pytest.mark.django_db

RUSSIAN = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture
def russian_course(db, course) -> Course:
    """The Russian course, after the English one in the catalogue's own order."""
    russian = Course.objects.create(
        slug="osnovy",
        title="Основы слепой печати",
        description="Основной ряд: фыва олдж.",
        language="ru",
        layout="jcuken",
        is_published=True,
        position=course.position + 1,
    )
    Lesson.objects.create(
        course=russian, position=1, title="Урок 1", text="фыва олдж фыва олдж авыф джло"
    )
    return russian


def page(client, url: str, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return response.content.decode()


def js_catalog(script: str) -> dict[str, str]:
    """The translations in Django's JavaScript catalogue script."""
    found = re.search(r"const newcatalog = (\{.*?\});", script, re.S)
    return json.loads(found.group(1)) if found else {}


def test_a_russian_browser_gets_the_home_page_in_russian(client, course):
    html = page(client, "/", **RUSSIAN)
    assert '<html lang="ru">' in html
    assert "Печатайте быстрее, не глядя на клавиатуру." in html
    assert "Смотреть курсы" in html
    assert "Type faster without looking" not in html


def test_an_english_browser_still_gets_english(client, course):
    html = page(client, "/", **ENGLISH)
    assert '<html lang="en">' in html
    assert "Type faster without looking at the keys." in html


def test_the_catalogue_and_a_lesson_are_in_russian(client, course, russian_course):
    catalogue = page(client, "/courses/", **RUSSIAN)
    assert "Искать курсы…" in catalogue
    assert "1 урок" in catalogue  # the plural form for one
    lesson = russian_course.lessons.get()
    html = page(client, f"/lessons/{lesson.pk}/", **RUSSIAN)
    assert "Нажмите или коснитесь здесь, чтобы начать печатать" in html
    assert "Скрыть клавиатуру" in html
    assert "цель 20 сл/мин" in html
    assert '<script src="/jsi18n/" defer></script>' in html


def test_the_widgets_javascript_strings_come_in_russian(client):
    response = client.get("/jsi18n/", **RUSSIAN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    catalog = js_catalog(response.content.decode())
    assert catalog["Next: %(key)s — %(finger)s"] == "Далее: %(key)s — %(finger)s"
    assert catalog["left little finger"] == "левый мизинец"
    assert catalog["Start typing — the clock starts with your first key."].startswith("Начинайте")
    assert js_catalog(client.get("/jsi18n/", **ENGLISH).content.decode()) == {}
    # Cached by browsers per language: revalidated, and varying with Accept-Language.
    assert "Last-Modified" in response
    assert "Accept-Language" in response["Vary"]


def test_a_learners_dashboard_is_in_russian(client, learner):
    client.force_login(learner)
    html = page(client, "/stats/", **RUSSIAN)
    assert "Ваш прогресс" in html
    assert "Пока нечего показать" in html


def test_an_author_sees_the_admin_in_russian(client, author, course):
    client.force_login(author)
    html = page(client, "/admin/courses/course/", **RUSSIAN)
    assert "Администрирование TypingTrainer" in html
    assert "курс" in html.lower()
    assert "Название" in html  # the title column


def test_the_footer_switcher_sets_a_cookie_for_a_guest(client, course):
    html = page(client, "/courses/", **ENGLISH)
    assert 'action="/i18n/setlang/"' in html
    assert 'name="language"' in html
    assert 'value="ru"' in html
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/courses/"}, **ENGLISH)
    assert response.status_code == 302
    assert response["Location"] == "/courses/"
    assert response.cookies[COOKIE].value == "ru"
    assert response.cookies[COOKIE]["max-age"] == settings.LANGUAGE_COOKIE_AGE
    # The cookie wins over the browser's English from now on.
    assert "Искать курсы…" in page(client, "/courses/", **ENGLISH)


def test_the_switcher_saves_a_learners_choice(client, learner):
    client.force_login(learner)
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/stats/"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "ru"
    learner.refresh_from_db()
    assert learner.language == "ru"


def test_the_switcher_refuses_an_unknown_language_and_changes_nothing(client, learner):
    client.force_login(learner)
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert response.status_code == 400
    assert COOKIE not in response.cookies
    learner.refresh_from_db()
    assert learner.language == ""
    assert client.get("/i18n/setlang/").status_code == 405


def test_logging_in_applies_the_learners_language(client):
    make_user("ivan@example.com", language="ru")
    response = client.post(
        "/accounts/login/",
        {"login": "ivan@example.com", "password": PASSWORD},
        **ENGLISH,
    )
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "ru"
    assert "Ваш прогресс" in page(client, "/stats/", **ENGLISH)


def test_the_settings_page_changes_the_language(client, learner):
    client.force_login(learner)
    html = page(client, "/accounts/settings/")
    assert "The browser&#x27;s language" in html or "The browser's language" in html
    form = {
        "display_name": "Lena",
        "keyboard_layout": "qwerty",
        "language": "ru",
        "daily_goal_minutes": 10,
        "time_zone": "UTC",
        "weekly_email": "on",
    }
    response = client.post("/accounts/settings/", form)
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "ru"
    learner.refresh_from_db()
    assert learner.language == "ru"


def test_a_russian_speaker_signs_up_on_jcuken_with_the_russian_course_first(
    client, course, russian_course
):
    # In the catalogue's own order the English course comes first.
    english_first = page(client, "/", **ENGLISH)
    assert english_first.index(course.title) < english_first.index(russian_course.title)
    response = client.post(
        "/accounts/signup/",
        {"email": "olga@example.com", "password1": PASSWORD, "password2": PASSWORD},
        **RUSSIAN,
    )
    assert response.status_code == 302
    olga = User.objects.get(email="olga@example.com")
    assert olga.keyboard_layout == "jcuken"
    assert olga.language == "ru"
    for url in ("/", "/courses/"):
        html = page(client, url, **RUSSIAN)
        assert html.index(russian_course.title) < html.index(course.title), url


def test_an_english_speaker_signs_up_on_qwerty(client):
    client.post(
        "/accounts/signup/",
        {"email": "emma@example.com", "password1": PASSWORD, "password2": PASSWORD},
        **ENGLISH,
    )
    emma = User.objects.get(email="emma@example.com")
    assert (emma.keyboard_layout, emma.language) == ("qwerty", "en")


def test_the_weekly_email_is_in_the_learners_language():
    ivan = make_user("ivan@example.com", display_name="Иван", language="ru", time_zone="UTC")
    EmailAddress.objects.create(user=ivan, email=ivan.email, verified=True, primary=True)
    for day, wpm in ((date(2025, 3, 3), 41.0), (date(2025, 3, 5), 44.0)):
        DailyStat.objects.create(
            user=ivan,
            date=day,
            sessions=1,
            typed_ms=10 * 60_000,
            keystrokes=300,
            errors=6,
            best_wpm=wpm,
            wpm_tenths_sum=round(wpm * 10),
        )
    KeyStat.objects.create(user=ivan, char="ж", hits=40, errors=10)
    make_user("emma@example.com", language="en", time_zone="UTC")  # nothing to report

    assert send_due_weekly_emails(datetime(2025, 3, 10, 9, 0, tzinfo=UTC)) == 1
    [message] = mail.outbox
    assert message.subject.startswith("Ваша неделя за клавиатурой: 20 мин, 2 занятия")
    assert "Здравствуйте, Иван!" in message.body
    assert "Средняя скорость:" in message.body
    assert "Клавиши для тренировки:" in message.body
    assert isinstance(message, EmailMultiAlternatives)
    html = message.alternatives[0][0]
    assert isinstance(html, str)
    assert "Вся ваша статистика" in html
    assert "Your week" not in message.body


def test_the_coachs_report_is_written_in_the_learners_language(
    client, learner, course, django_capture_on_commit_callbacks
):
    learner.language = "ru"
    learner.save(update_fields=["language"])
    client.force_login(learner)
    lesson = course.lessons.get(position=1)
    mistakes = {pos: "e" for pos, ch in enumerate(lesson.text) if ch == "d"}
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(7):  # enough presses of "d" for the coach to judge it
            play(client, lesson, typed_keys(lesson.text, mistakes=mistakes), **ENGLISH)
    report = Report.objects.filter(user=learner).latest("created_at")
    # Analysed in the request of an English browser, stored in the learner's Russian.
    assert "7 тренировок за две недели" in report.advice
    assert "1 клавиша тормозит вас: d." in report.advice
    evidence = " ".join(finding.message for finding in report.finding_list())
    assert "d: 50 % ошибок на" in evidence
