"""The retry predicate (pure), Retry-After parsing and the tenacity policy (with an injected sleep)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.retry import (
    BACKOFF_JITTER,
    BACKOFF_MAX,
    Outcome,
    is_transient,
    outcome_of,
    parse_retry_after,
    retrying,
)
from archiver.types import ErrorKind


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses(status: int) -> None:
    assert is_transient(Outcome(status=status))
    assert is_transient(Outcome(error=ErrorKind.HTTP_ERROR, status=status))


@pytest.mark.parametrize("status", [200, 204, 301, 304, 400, 401, 403, 404, 410, 451, 501, 505])
def test_final_statuses(status: int) -> None:
    assert not is_transient(Outcome(status=status))


@pytest.mark.parametrize("kind", [ErrorKind.REFUSED, ErrorKind.TIMEOUT, ErrorKind.RESET, ErrorKind.TRUNCATED])
def test_transient_errors(kind: ErrorKind) -> None:
    assert is_transient(Outcome(error=kind))


@pytest.mark.parametrize(
    "kind",
    [
        ErrorKind.TLS,
        ErrorKind.TOO_MANY_REDIRECTS,
        ErrorKind.REDIRECT_LOOP,
        ErrorKind.BLOCKED_PRIVATE,
        ErrorKind.ROBOTS,
        ErrorKind.TOO_LARGE,
        ErrorKind.RATE_LIMITED,
    ],
)
def test_final_errors(kind: ErrorKind) -> None:
    assert not is_transient(Outcome(error=kind))


def test_dns_nonexistent_is_final_but_temporary_failure_is_retried() -> None:
    assert not is_transient(Outcome(error=ErrorKind.DNS))
    assert is_transient(Outcome(error=ErrorKind.DNS, temporary=True))


def test_a_body_error_after_a_200_is_transient_but_too_large_is_not() -> None:
    assert is_transient(Outcome(error=ErrorKind.TIMEOUT, status=200))
    assert not is_transient(Outcome(error=ErrorKind.TOO_LARGE, status=200))


def test_parse_retry_after_seconds() -> None:
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 120 ") == 120.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0.0


def test_parse_retry_after_http_date() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(90.0)
    earlier = format_datetime(now - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


def test_outcome_of() -> None:
    o = Outcome(status=500)

    class Carrier:
        outcome = o

    assert outcome_of(o) is o
    assert outcome_of(Carrier()) is o
    assert outcome_of("nothing") is None


def test_policy_retries_exactly_as_configured_and_returns_last() -> None:
    slept: list[float] = []
    calls: list[int] = []

    def attempt() -> Outcome:
        calls.append(1)
        return Outcome(status=503)

    last = retrying(3, sleep=slept.append)(attempt)
    assert last == Outcome(status=503)
    assert len(calls) == 4
    assert len(slept) == 3
    # exponential backoff: each wait is at least the previous base (jitter only adds)
    assert slept[0] >= 0.5 and slept[1] >= 1.0 and slept[2] >= 2.0


def test_policy_stops_at_success() -> None:
    answers = iter([Outcome(error=ErrorKind.RESET), Outcome(status=200)])
    slept: list[float] = []
    assert retrying(3, sleep=slept.append)(lambda: next(answers)) == Outcome(status=200)
    assert len(slept) == 1


def test_policy_does_not_retry_final_outcomes() -> None:
    calls: list[int] = []

    def attempt() -> Outcome:
        calls.append(1)
        return Outcome(status=404)

    retrying(3, sleep=lambda s: None)(attempt)
    assert calls == [1]


def test_policy_waits_retry_after() -> None:
    answers = iter([Outcome(status=429, retry_after=7.0), Outcome(status=200)])
    slept: list[float] = []
    retrying(3, sleep=slept.append)(lambda: next(answers))
    assert slept == [7.0]


def test_zero_retries_means_one_attempt() -> None:
    calls: list[int] = []

    def attempt() -> Outcome:
        calls.append(1)
        return Outcome(status=500)

    retrying(0, sleep=lambda s: None)(attempt)
    assert calls == [1]


@pytest.mark.parametrize("value", ["\xb2", "1\xb2", "\u0661\u0662", "١", "nan", "inf", "-inf", "1e400", "0x10"])
def test_parse_retry_after_never_raises_on_hostile_values(value: str) -> None:
    # Header values arrive as latin-1 text: "²" (0xB2) passes str.isdigit() but not float().
    seconds = parse_retry_after(value)
    assert seconds is None or seconds >= 0.0


@given(st.text(max_size=40))
def test_parse_retry_after_total(value: str) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or (seconds >= 0.0 and seconds == seconds and seconds != float("inf"))


def test_backoff_is_capped() -> None:
    slept: list[float] = []
    retrying(12, sleep=slept.append)(lambda: Outcome(error=ErrorKind.RESET))
    assert len(slept) == 12
    assert max(slept) <= BACKOFF_MAX + BACKOFF_JITTER and slept[-1] >= BACKOFF_MAX


@pytest.mark.parametrize(
    ("outcomes", "retries", "calls", "sleeps"),
    [
        ([Outcome(status=200)], 3, 1, 0),  # nothing to retry: one attempt, no policy
        ([Outcome(status=404)], 3, 1, 0),  # final
        ([Outcome(status=503)], 0, 1, 0),  # transient, but no retries allowed
        ([Outcome(status=503), Outcome(status=503), Outcome(status=200)], 3, 3, 2),
        ([Outcome(status=503)] * 5, 2, 3, 2),  # the last result is returned, never an error
    ],
)
def test_call_with_retries_makes_the_attempts_the_policy_would(
    outcomes: list[Outcome], retries: int, calls: int, sleeps: int
) -> None:
    from archiver.retry import call_with_retries

    made: list[Outcome] = []
    slept: list[float] = []
    before: list[object] = []

    def attempt() -> Outcome:
        made.append(outcomes[min(len(made), len(outcomes) - 1)])
        return made[-1]

    last = call_with_retries(attempt, retries, sleep=slept.append,
                             before_sleep=lambda state: before.append(state.outcome.result()))
    assert (len(made), len(slept), last) == (calls, sleeps, made[-1])
    assert before == made[: len(slept)]  # before_sleep sees each retried result, the first included
