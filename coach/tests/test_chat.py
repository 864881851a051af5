from __future__ import annotations

import pytest

from billing.tests.conftest import (  # noqa: F401 — fixtures: a subscriber made through webhooks
    deliver,
    fake_stripe,
    fresh,
    premium_prices,
    subscribe,
    webhook_endpoint,
)
from coach.models import ChatMessage
from coach.tests.conftest import fail, reply

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def premium(client, learner, subscribe):  # noqa: F811 — the fixture imported above
    subscribe(learner)
    client.force_login(fresh(learner))
    return learner


def test_chat_is_premium_a_free_learner_is_told_so(client, learner):
    client.force_login(learner)
    page = client.get("/coach/").content.decode()
    assert (
        "Chat with a coach who sees every key you type is part of <strong>Premium</strong>" in page
    )
    response = client.post("/coach/chat/", {"question": "How do I get faster?"}, headers=HTMX)
    assert response.status_code == 403
    assert "part of Premium" in response.content.decode()
    assert response["HX-Retarget"] == "#chat-status"
    assert not ChatMessage.objects.exists()


def test_without_an_llm_the_built_in_coach_answers_from_the_learners_data(client, premium):
    page = client.get("/coach/").content.decode()
    assert "the full coach needs the LLM to be configured" in page
    response = client.post("/coach/chat/", {"question": "What are my weak keys?"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have no weak keys yet" in html
    assert "needs the LLM to be configured" in html
    assert 'hx-swap-oob="true"' in html  # the question box is emptied
    assert list(ChatMessage.objects.values_list("role", flat=True)) == ["user", "assistant"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How can I type faster?", "Speed comes from accuracy and rhythm"),
        ("I make too many mistakes", "Slow down until you make almost no mistakes"),
        ("What should I practise today?", "Type a few lessons so I can find your weak keys."),
    ],
)
def test_the_built_in_coach_answers_the_common_questions(client, premium, question, expected):
    response = client.post("/coach/chat/", {"question": question}, headers=HTMX)
    assert expected in response.content.decode()


def test_with_an_llm_the_answer_is_grounded_and_the_conversation_kept(
    client, premium, settings, fake_openai
):
    settings.OPENAI_BASE_URL = fake_openai.base_url
    fake_openai.will(reply("Practise F and J slowly."), reply("Then speed up a little."))
    client.post("/coach/chat/", {"question": "What now?"}, headers=HTMX)
    response = client.post("/coach/chat/", {"question": "And then?"}, headers=HTMX)
    assert "Then speed up a little." in response.content.decode()
    second = fake_openai.requests[-1]["messages"]
    assert second[0]["role"] == "system"
    assert "no sessions typed yet" in second[0]["content"]
    assert [m["content"] for m in second[1:]] == [
        "What now?",
        "Practise F and J slowly.",
        "And then?",
    ]
    assert "learner@example.com" not in str(fake_openai.requests)
    page = client.get("/coach/").content.decode()
    assert page.index("Practise F and J slowly.") < page.index("Then speed up a little.")


def test_when_the_llm_fails_the_learner_still_gets_an_answer(
    client, premium, settings, fake_openai
):
    settings.OPENAI_BASE_URL = fake_openai.base_url
    fake_openai.will(fail(500))
    response = client.post("/coach/chat/", {"question": "How do I get faster?"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Speed comes from accuracy and rhythm" in html
    assert "The full coach is unavailable right now" in html


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "Type a question first."), ("x" * 1001, "limited to 1000 characters")],
)
def test_a_bad_question_gets_a_400_and_stores_nothing(client, premium, question, message):
    response = client.post("/coach/chat/", {"question": question}, headers=HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ChatMessage.objects.exists()


def test_chat_is_rate_limited_per_learner(client, premium, settings):
    settings.COACH_RATE_LIMITS = {**settings.COACH_RATE_LIMITS, "chat": 2}
    responses = [client.post("/coach/chat/", {"question": "hi"}, headers=HTMX) for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 429]
    assert 1 <= int(responses[-1]["Retry-After"]) <= 60
    assert "ask again in" in responses[-1].content.decode()


def test_chat_works_without_javascript(client, premium):
    response = client.post("/coach/chat/", {"question": "What are my weak keys?"}, follow=True)
    assert response.redirect_chain[-1][0] == "/coach/#chat"
    assert "You have no weak keys yet" in response.content.decode()
