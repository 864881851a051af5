"""The practice write token: start hands it out, batches and completion need it in the
X-Practice-Token header, renewal and the per-owner and per-session limits."""

from __future__ import annotations

import json
import logging
import time
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from gunicorn.config import Config
from gunicorn.glogging import Logger

from lessons import attempts, tokens
from lessons.models import KeystrokeBatch, PracticeSession

from .conftest import TOKENS, post_json, send_batches, start, typed_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(client, learner, lesson1) -> str:
    client.force_login(learner)
    return start(client, lesson1)


def batch_url(session: str) -> str:
    return f"/sessions/{session}/keystrokes"


def signed(session: str, *, expires: int, started: float = 0.0, owner: str = "u1") -> str:
    return tokens.sign(tokens.Token(session=session, owner=owner, started=started, expires=expires))


def first_batch(lesson) -> dict:
    return {"seq": 0, "keys": typed_keys(lesson.text)[:5]}


def test_start_answers_the_session_its_token_and_when_it_expires(client, learner, lesson1):
    client.force_login(learner)
    before = int(time.time())
    response = post_json(client, f"/lessons/{lesson1.pk}/start", {})
    assert response.status_code == 201
    answer = response.json()
    assert set(answer) == {"session", "token", "expires"}
    assert before + 1800 <= answer["expires"] <= int(time.time()) + 1800
    token = tokens.verify(answer["token"], answer["session"])
    assert token.owner == f"u{learner.pk}"


def test_a_visitors_token_names_a_hash_of_the_guest_key_not_the_key(client, lesson1):
    session = start(client, lesson1)
    guest_key = PracticeSession.objects.get(pk=session).guest_key
    token = TOKENS[session]
    assert guest_key not in token
    assert guest_key not in json.dumps(tokens.verify(token, session).__dict__)


@pytest.mark.parametrize(
    ("which", "code"),
    [("missing", "token_missing"), ("garbage", "token_invalid"), ("forged", "token_invalid")],
)
def test_a_batch_without_a_good_token_is_a_401_and_stores_nothing(
    client, session, lesson1, which, code
):
    token = {
        "missing": None,
        "garbage": "not-a-token",
        "forged": TOKENS[session][:-2] + ("aa" if not TOKENS[session].endswith("aa") else "bb"),
    }[which]
    response = post_json(client, batch_url(session), first_batch(lesson1), token=token)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.json()["error"]
    assert not KeystrokeBatch.objects.exists()


def test_the_token_of_another_session_is_refused(client, learner, lesson1, session):
    other = start(client, lesson1)
    response = post_json(client, batch_url(session), first_batch(lesson1), token=TOKENS[other])
    assert response.status_code == 401
    assert response.json() == {
        "error": "The practice token is for another session.",
        "code": "token_invalid",
    }
    assert not KeystrokeBatch.objects.exists()


def test_an_expired_token_is_a_401_token_expired(client, session, lesson1):
    expired = signed(session, expires=int(time.time()) - 1)
    response = post_json(client, batch_url(session), first_batch(lesson1), token=expired)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    complete = post_json(client, f"/sessions/{session}/complete", {"batches": 1}, token=expired)
    assert complete.status_code == 401
    assert not KeystrokeBatch.objects.exists()


def test_a_deactivated_learners_token_writes_nothing(client, learner, session, lesson1):
    learner.is_active = False
    learner.save()
    response = post_json(client, batch_url(session), first_batch(lesson1))
    assert response.status_code == 403
    assert "deactivated" in response.json()["error"]
    assert not KeystrokeBatch.objects.exists()
    complete = post_json(client, f"/sessions/{session}/complete", {"batches": 1})
    assert complete.status_code == 403


def test_the_token_in_the_query_string_does_not_count(client, session, lesson1):
    response = client.post(
        f"{batch_url(session)}?token={TOKENS[session]}",
        json.dumps(first_batch(lesson1)),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert not KeystrokeBatch.objects.exists()


def test_a_resent_batch_is_200_and_a_different_one_409(client, session, lesson1):
    batch = first_batch(lesson1)
    assert post_json(client, batch_url(session), batch).status_code == 201
    again = post_json(client, batch_url(session), batch)
    assert again.status_code == 200
    assert again.json() == {"seq": 0, "stored": False}
    other = {"seq": 0, "keys": typed_keys(lesson1.text)[:4]}
    assert post_json(client, batch_url(session), other).status_code == 409
    assert KeystrokeBatch.objects.get().keys == batch["keys"]


def test_a_new_batch_is_one_sql_statement_once_the_text_is_cached_and_no_redis(
    client, session, lesson1
):
    keys = typed_keys(lesson1.text)
    assert post_json(client, batch_url(session), {"seq": 0, "keys": keys[:5]}).status_code == 201
    anonymous = Client()  # the widget sends no cookies
    with (
        mock.patch("redis.Redis.execute_command", side_effect=AssertionError("Redis")),
        CaptureQueriesContext(connection) as queries,
    ):
        response = post_json(anonymous, batch_url(session), {"seq": 1, "keys": keys[5:10]})
    assert response.status_code == 201, response.content
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert queries[0]["sql"].startswith("INSERT INTO")
    assert KeystrokeBatch.objects.filter(session_id=session).count() == 2


def test_an_uncached_text_costs_one_select_more(client, session, lesson1):
    attempts.session_texts.clear()
    with CaptureQueriesContext(connection) as queries:
        response = post_json(Client(), batch_url(session), first_batch(lesson1))
    assert response.status_code == 201
    assert len(queries) == 2


def test_completion_needs_the_token_and_no_cookies(client, session, lesson1):
    count = send_batches(Client(), session, typed_keys(lesson1.text))
    cookieless = Client(enforce_csrf_checks=True)
    refused = post_json(cookieless, f"/sessions/{session}/complete", {"batches": count}, token=None)
    assert refused.status_code == 401
    response = post_json(cookieless, f"/sessions/{session}/complete", {"batches": count})
    assert response.status_code == 200, response.content
    assert response.json()["wpm"] > 0
    assert PracticeSession.objects.get(pk=session).status == "completed"


def test_a_completed_session_refuses_further_batches(client, session, lesson1):
    keys = typed_keys(lesson1.text)
    count = send_batches(client, session, keys)
    assert post_json(client, f"/sessions/{session}/complete", {"batches": count}).status_code == 200
    response = post_json(client, batch_url(session), {"seq": count, "keys": keys[-1:]})
    assert response.status_code == 409
    assert KeystrokeBatch.objects.filter(session_id=session).count() == count


def test_the_pace_bound_counts_from_the_sessions_start(client, session, lesson1, settings):
    settings.PRACTICE_BATCH_BURST = 0
    settings.PRACTICE_BATCHES_PER_SECOND = 1
    keys = typed_keys(lesson1.text)
    started = PracticeSession.objects.get(pk=session).started_at.timestamp()
    early = signed(session, expires=int(time.time()) + 60, started=time.time())
    response = post_json(client, batch_url(session), {"seq": 3, "keys": keys[:1]}, token=early)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3
    assert not KeystrokeBatch.objects.exists()
    # A session started long enough ago may send it.
    late = signed(session, expires=int(time.time()) + 60, started=started - 10)
    response = post_json(client, batch_url(session), {"seq": 3, "keys": keys[:1]}, token=late)
    assert response.status_code == 201


def test_open_sessions_are_capped_per_learner_with_a_429(client, learner, lesson1, settings):
    settings.PRACTICE_MAX_OPEN_SESSIONS = 2
    client.force_login(learner)
    first = start(client, lesson1)
    start(client, lesson1)
    response = post_json(client, f"/lessons/{lesson1.pk}/start", {})
    assert response.status_code == 429
    assert "2 practice sessions open at once" in response.json()["error"]
    assert int(response["Retry-After"]) > 0
    assert PracticeSession.objects.count() == 2
    # Finishing one (or its going stale) frees a place.
    PracticeSession.objects.filter(pk=first).update(status="completed")
    assert post_json(client, f"/lessons/{lesson1.pk}/start", {}).status_code == 201


def test_stale_sessions_do_not_count_as_open(client, learner, lesson1, settings):
    settings.PRACTICE_MAX_OPEN_SESSIONS = 1
    client.force_login(learner)
    first = start(client, lesson1)
    long_ago = PracticeSession.objects.get(pk=first).started_at.replace(year=2020)
    PracticeSession.objects.filter(pk=first).update(started_at=long_ago)
    assert post_json(client, f"/lessons/{lesson1.pk}/start", {}).status_code == 201


def test_a_visitors_open_sessions_are_capped_too(client, lesson1, settings):
    settings.PRACTICE_MAX_OPEN_SESSIONS = 1
    start(client, lesson1)
    assert post_json(client, f"/lessons/{lesson1.pk}/start", {}).status_code == 429


def renew(client, session, token=None, **headers):
    if token:
        headers["X-Practice-Token"] = token
    return client.post(f"/sessions/{session}/token", headers=headers)


def test_a_token_expired_within_the_grace_renews(client, session, lesson1):
    expired = signed(session, expires=int(time.time()) - 600)
    response = renew(Client(), session, expired)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert set(answer) == {"token", "expires"}
    assert answer["expires"] > time.time() + 1700
    batch = post_json(Client(), batch_url(session), first_batch(lesson1), token=answer["token"])
    assert batch.status_code == 201


def test_a_token_expired_beyond_the_grace_does_not_renew(session):
    expired = signed(session, expires=int(time.time()) - 3601)
    response = renew(Client(), session, expired)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_the_owners_cookies_renew_with_csrf(learner, lesson1):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner)
    browser.get(f"/lessons/{lesson1.pk}/")
    csrf = browser.cookies["csrftoken"].value
    response = post_json(browser, f"/lessons/{lesson1.pk}/start", {}, **{"X-CSRFToken": csrf})
    session = response.json()["session"]
    assert renew(browser, session).status_code == 403  # cookies without CSRF
    response = renew(browser, session, **{"X-CSRFToken": csrf})
    assert response.status_code == 200
    assert tokens.verify(response.json()["token"], session).session == session


def test_someone_elses_cookies_do_not_renew(client, session, other_learner):
    stranger = Client()
    stranger.force_login(other_learner)
    assert renew(stranger, session).status_code == 404


def test_no_renewal_for_a_completed_session_or_a_deactivated_learner(
    client, learner, session, lesson1
):
    token = TOKENS[session]
    count = send_batches(client, session, typed_keys(lesson1.text))
    post_json(client, f"/sessions/{session}/complete", {"batches": count})
    assert renew(Client(), session, token).status_code == 409
    other = start(client, lesson1)
    learner.is_active = False
    learner.save()
    assert renew(Client(), other, TOKENS[other]).status_code == 403


def test_tokens_signed_with_a_retired_key_still_verify_during_rotation(
    client, session, lesson1, settings
):
    token = TOKENS[session]
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-for-the-rotation-test-0123456789"
    assert (
        post_json(client, batch_url(session), first_batch(lesson1), token=token).status_code == 201
    )
    settings.SECRET_KEY_FALLBACKS = []
    refused = post_json(client, batch_url(session), first_batch(lesson1), token=token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_invalid"


def test_the_token_is_in_no_log_line_of_a_request(client, session, lesson1, caplog):
    token = TOKENS[session]
    with caplog.at_level(logging.DEBUG):
        response = post_json(client, batch_url(session), first_batch(lesson1))
    assert response.status_code == 201
    # gunicorn's access log line, in the format gunicorn.conf.py configures.
    config = Config()
    config.set("accesslog", "-")
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": batch_url(session),
        "RAW_URI": batch_url(session),
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_PRACTICE_TOKEN": token,
        "HTTP_USER_AGENT": "test",
    }
    request = mock.Mock(headers=[("X-PRACTICE-TOKEN", token)], path=batch_url(session))
    answer = mock.Mock(status="201 Created", response_length=30, headers=[], sent=30)
    atoms = Logger(config).atoms(answer, request, environ, mock.Mock(seconds=0, microseconds=1))
    line = config.access_log_format % atoms
    assert batch_url(session) in line
    assert token not in line
    assert token not in caplog.text


def test_a_batch_with_the_learners_cookies_loads_neither_session_nor_user(client, session, lesson1):
    keys = typed_keys(lesson1.text)
    assert post_json(client, batch_url(session), {"seq": 0, "keys": keys[:5]}).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = post_json(client, batch_url(session), {"seq": 1, "keys": keys[5:10]})
    assert response.status_code == 201
    # The time zone middleware resolves the learner's zone only when a date is shown.
    assert [q["sql"].split()[0] for q in queries] == ["INSERT"]


def test_pages_still_show_the_learners_local_time(client, learner, lesson1):
    learner.time_zone = "Asia/Tokyo"
    learner.save()
    client.force_login(learner)
    session = start(client, lesson1)
    count = send_batches(client, session, typed_keys(lesson1.text))
    post_json(client, f"/sessions/{session}/complete", {"batches": count})
    completed = PracticeSession.objects.get(pk=session).completed_at
    assert completed is not None
    local = completed.astimezone(ZoneInfo("Asia/Tokyo"))
    page = client.get("/stats/history/")
    assert page.status_code == 200
    assert f"{local:%H:%M}" in page.content.decode()
