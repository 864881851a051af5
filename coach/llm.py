"""The LLM coach (DESIGN §6): advice phrased from the built-in findings, generated exercises and
chat, through any OpenAI-compatible server.

Privacy: nothing here takes a user. Callers pass statistics and findings only — never the
learner's email or name — and, as a second line of defence, anything that looks like an email
address is replaced before it is sent.

Failure: every failure (timeout, connection error, an error status after the retries, malformed
or empty output) raises `LLMUnavailable`, and every caller has a built-in answer to fall back to
(`llm_exercise` does it itself). A call never blocks for much longer than
`timeout × (max_retries + 1)`: retries are made here, with a short fixed pause, rather than by the
SDK, whose retries honour a server's Retry-After of up to two minutes.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from openai import (
    APIConnectionError,
    APIStatusError,
    OpenAI,
    OpenAIError,
    Stream,
)
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

from typingtrainer import metrics

from .analysis import Finding
from .exercises import (
    Exercise,
    ExerciseRequest,
    allowed_characters,
    check_exercise,
    generate_exercise,
    usable_focus,
)

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT = 4.0
"""Seconds per attempt; with one retry a page waits at most about eight seconds."""
DEFAULT_MAX_RETRIES = 1
RETRY_PAUSE = 0.25
HISTORY_LIMIT = 20
"""Chat messages of the history sent with a question (the most recent ones)."""
LANGUAGE_NAMES = {"en": "English", "ru": "Russian"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

T = TypeVar("T")


class LLMUnavailable(Exception):
    """The LLM gave no usable answer: use the built-in coach instead."""


@dataclass(frozen=True)
class LLMSettings:
    api_key: str = field(repr=False)  # kept out of logs and tracebacks
    base_url: str | None
    model: str
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES


def _setting(name: str) -> str:
    """A Django setting if the project defines it, else the environment variable."""
    value = getattr(django_settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    return str(value).strip()


def llm_settings() -> LLMSettings | None:
    """The LLM coach's settings from OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL and
    OPENAI_TIMEOUT; None (the built-in coach only) when neither a key nor a base URL is set.
    A local server given only by its base URL gets a placeholder key."""
    api_key = _setting("OPENAI_API_KEY")
    base_url = _setting("OPENAI_BASE_URL")
    if not api_key and not base_url:
        return None
    timeout = _setting("OPENAI_TIMEOUT")
    try:
        seconds = float(timeout) if timeout else DEFAULT_TIMEOUT
    except ValueError:
        raise ImproperlyConfigured(f"OPENAI_TIMEOUT must be seconds, not {timeout!r}") from None
    if not seconds > 0:
        raise ImproperlyConfigured(f"OPENAI_TIMEOUT must be positive, not {timeout!r}")
    return LLMSettings(
        api_key=api_key or "not-needed",
        base_url=base_url or None,
        model=_setting("OPENAI_MODEL") or DEFAULT_MODEL,
        timeout=seconds,
    )


# Calling the server ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _client(settings: LLMSettings) -> OpenAI:
    # One client per settings, so that connections are reused. No SDK retries: see `_attempts`.
    return OpenAI(
        api_key=settings.api_key,
        base_url=settings.base_url,
        timeout=settings.timeout,
        max_retries=0,
    )


def _is_worth_retrying(error: OpenAIError) -> bool:
    if isinstance(error, APIConnectionError):  # timeouts included
        return True
    if isinstance(error, APIStatusError):
        return error.status_code in (408, 409, 429) or error.status_code >= 500
    return False


def _describe(error: Exception) -> str:
    if isinstance(error, APIStatusError):
        return f"status {error.status_code}"
    return f"{type(error).__name__}: {error}"


def _attempts(settings: LLMSettings, call: Callable[[OpenAI], T]) -> T:
    """`call` with the client, retried `settings.max_retries` times on timeouts, connection
    errors and server errors; LLMUnavailable when no attempt succeeds."""
    attempts = settings.max_retries + 1
    for attempt in range(1, attempts + 1):
        try:
            return call(_client(settings))
        except OpenAIError as error:
            if attempt == attempts or not _is_worth_retrying(error):
                raise LLMUnavailable(
                    f"{_describe(error)} (attempt {attempt} of {attempts})"
                ) from error
        except ValueError as error:  # a body that is not JSON
            raise LLMUnavailable(f"malformed response: {error}") from error
        time.sleep(RETRY_PAUSE)
    raise AssertionError("unreachable")


def _complete(
    settings: LLMSettings, messages: list[ChatCompletionMessageParam], *, purpose: str
) -> str:
    """One call, counted and timed under `purpose` (advice, exercise, chat)."""
    with metrics.llm_call(purpose):
        completion = _attempts(
            settings,
            lambda client: client.chat.completions.create(model=settings.model, messages=messages),
        )
        try:
            content = completion.choices[0].message.content
        except (AttributeError, IndexError, TypeError) as error:
            raise LLMUnavailable("malformed response: no choices") from error
        if not isinstance(content, str):
            raise LLMUnavailable(f"malformed response: content is {type(content).__name__}")
        if not content.strip():
            raise LLMUnavailable("empty answer")
        return content.strip()


def _redacted(text: str) -> str:
    return EMAIL.sub("[email]", text)


# Advice ---------------------------------------------------------------------------------------


def phrase_advice(settings: LLMSettings, *, findings: Sequence[Finding], stats_summary: str) -> str:
    """Short plain-text advice written from the built-in coach's findings (most important
    first) and a summary of the learner's statistics."""
    listed = "\n".join(f"- {_redacted(finding.message)}" for finding in findings)
    return _complete(
        settings,
        [
            {
                "role": "system",
                "content": "You are a friendly touch-typing coach. Turn the coach's findings "
                "into advice for the learner: at most four short sentences of plain text, no "
                "lists, no markdown, no greeting. Keep keys and numbers exactly as given and "
                "add nothing the findings and statistics do not support.",
            },
            {
                "role": "user",
                "content": f"Statistics: {_redacted(stats_summary)}\n\n"
                f"Findings, most important first:\n{listed or '- No problems found.'}",
            },
        ],
        purpose="advice",
    )


# Exercises ------------------------------------------------------------------------------------


def _exercise_prompt(request: ExerciseRequest) -> str:
    keys, bigrams = usable_focus(request)
    language = LANGUAGE_NAMES.get(request.language, request.language)
    form = (
        "in short simple sentences, each starting with a capital letter and ending with a full stop"
        if request.sentences
        else "all lowercase, separated by single spaces, without punctuation"
    )
    focus = ""
    if keys:
        focus += f" Use as many words as you can that contain the letters {', '.join(keys)}."
    if bigrams:
        focus += f" Prefer words with the letter pairs {', '.join(bigrams)}."
    characters = "".join(sorted(allowed_characters(request) - {" "}))
    return (
        f"Write a touch-typing exercise of about {request.words} real, common {language} "
        f"words, {form}.{focus} Use only these characters and spaces: {characters}. "
        "No names, no abbreviations, no numbers, nothing offensive or violent."
    )


def generate_exercise_text(settings: LLMSettings, *, request: ExerciseRequest) -> str:
    """The LLM's exercise text for the request, unchecked (`llm_exercise` checks it)."""
    return _complete(
        settings,
        [
            {
                "role": "system",
                "content": "You write typing exercises. Answer with the exercise text only: "
                "no title, no quotes, no explanation.",
            },
            {"role": "user", "content": _exercise_prompt(request)},
        ],
        purpose="exercise",
    )


def llm_exercise(settings: LLMSettings | None, request: ExerciseRequest) -> Exercise:
    """The LLM's exercise if it passes `check_exercise`; else (no LLM configured, the LLM
    unavailable, or its text rejected) the built-in one. `source` says which."""
    if settings is None:
        return generate_exercise(request)
    try:
        text = " ".join(generate_exercise_text(settings, request=request).split())
    except LLMUnavailable as error:
        log.warning("LLM exercise unavailable, using the built-in one: %s", error)
        metrics.llm_fallback("exercise")
        return generate_exercise(request)
    if problems := check_exercise(text, request):
        log.warning("LLM exercise rejected, using the built-in one: %s", "; ".join(problems))
        metrics.llm_fallback("exercise")
        return generate_exercise(request)
    keys, bigrams = usable_focus(request)
    return Exercise(text=text, focus_keys=keys, focus_bigrams=bigrams, source="llm")


# Chat -----------------------------------------------------------------------------------------


def _chat_messages(
    history: Sequence[tuple[str, str]], question: str, stats_summary: str
) -> list[ChatCompletionMessageParam]:
    messages: list[ChatCompletionMessageParam] = [
        {
            "role": "system",
            "content": "You are the coach of a touch-typing trainer, answering the learner's "
            "questions about touch typing and their practice. Be brief, friendly and concrete. "
            "What you say about their progress must rest on these statistics only: "
            f"{_redacted(stats_summary)}",
        }
    ]
    for role, text in history[-HISTORY_LIMIT:]:
        if role == "user":
            messages.append({"role": "user", "content": _redacted(text)})
        elif role == "assistant":
            messages.append({"role": "assistant", "content": _redacted(text)})
        else:
            raise ValueError(f"chat history role must be 'user' or 'assistant', not {role!r}")
    messages.append({"role": "user", "content": _redacted(question)})
    return messages


def chat_reply(
    settings: LLMSettings,
    *,
    history: Sequence[tuple[str, str]],
    question: str,
    stats_summary: str,
) -> str:
    """The coach's answer to `question`, after `history` ((role, text), oldest first, roles
    "user" and "assistant"), grounded in the learner's statistics."""
    return _complete(settings, _chat_messages(history, question, stats_summary), purpose="chat")


def chat_stream(
    settings: LLMSettings,
    *,
    history: Sequence[tuple[str, str]],
    question: str,
    stats_summary: str,
) -> Iterator[str]:
    """`chat_reply` as it is written: the pieces of the answer, in order. The request is made
    here, so that a server that cannot answer raises LLMUnavailable before the first piece (and
    the caller can still answer otherwise); a failure later raises it from the iteration."""
    messages = _chat_messages(history, question, stats_summary)
    with metrics.llm_call("chat"):  # until the answer starts
        stream = _attempts(
            settings,
            lambda client: client.chat.completions.create(
                model=settings.model, messages=messages, stream=True
            ),
        )
    return _pieces(stream)


def _pieces(stream: Stream[ChatCompletionChunk]) -> Iterator[str]:
    answered = finished = False
    try:
        with stream:  # closes the connection when the caller stops early
            for chunk in stream:
                for choice in chunk.choices:
                    finished = finished or choice.finish_reason is not None
                    if isinstance(choice.delta.content, str) and choice.delta.content:
                        answered = True
                        yield choice.delta.content
    except (OpenAIError, ValueError, AttributeError, TypeError) as error:
        raise LLMUnavailable(f"stream broke off: {_describe(error)}") from error
    if not finished:
        # The SDK ends quietly when the connection drops mid-answer.
        raise LLMUnavailable("stream broke off before the answer was finished")
    if not answered:
        raise LLMUnavailable("empty answer")
