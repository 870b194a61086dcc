"""When to try a fetch again, and how long to wait: a pure predicate and the tenacity policy built on it.

Contract:

- :func:`is_transient` is the single place deciding whether a failed attempt is
  worth retrying. Connection errors (refused, reset, cut bodies), timeouts, a
  *temporary* resolver failure and the statuses 408, 429, 500, 502, 503, 504 are
  transient; a host name that does not exist, TLS failures, other 4xx, redirect
  problems, blocked addresses, robots refusals and over-large bodies are final.
- :func:`parse_retry_after` reads ``Retry-After`` as seconds or an HTTP date.
- :func:`retrying` builds a :class:`tenacity.Retrying` that retries while the
  attempt's :class:`Outcome` is transient, up to ``retries`` extra attempts, waiting
  the server's ``Retry-After`` when given, else exponential backoff with jitter.
  The ``sleep`` function is injectable so tests run in milliseconds.
  :func:`call_with_retries` runs an attempt under that policy, building it only when
  the first attempt must be retried. tenacity itself is imported then too (about 25 ms
  that a run whose fetches all succeed at once never pays before its first request).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, TypeVar

from archiver.types import ErrorKind

if TYPE_CHECKING:
    import tenacity

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
TRANSIENT_ERRORS = frozenset({ErrorKind.REFUSED, ErrorKind.TIMEOUT, ErrorKind.RESET, ErrorKind.TRUNCATED})

T = TypeVar("T")

BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 30.0
BACKOFF_JITTER = 0.5


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to, as far as retrying is concerned.

    ``error`` is the failure kind (``None`` when the server answered, whatever the
    status); ``status`` the HTTP status if any; ``retry_after`` the server's
    ``Retry-After`` in seconds if it sent one; ``temporary`` marks a DNS failure the
    resolver called temporary (``EAI_AGAIN``), as opposed to a name that does not exist.
    """

    error: ErrorKind | None = None
    status: int | None = None
    retry_after: float | None = None
    temporary: bool = False


def is_transient(outcome: Outcome) -> bool:
    """True if a later attempt could plausibly succeed where this one failed."""
    if outcome.error is ErrorKind.DNS:
        return outcome.temporary
    if outcome.error in TRANSIENT_ERRORS:
        return True
    if outcome.error is None or outcome.error is ErrorKind.HTTP_ERROR:
        return outcome.status in TRANSIENT_STATUSES
    return False


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date); ``None`` if absent/invalid.

    A date in the past gives ``0.0``.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():  # "²" is a digit to str.isdigit() but not to float()
        return float(value)
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class wait_retry_after:  # noqa: N801 - tenacity's naming style
    """Wait the ``Retry-After`` of the last outcome if it has one, else ``fallback``.

    A tenacity wait (any callable of the retry state will do, so this module need not
    import tenacity to define it). The caller guarantees ``retry_after`` was already
    capped (beyond the cap the attempt is not retried at all).
    """

    def __init__(self, fallback: Callable[[tenacity.RetryCallState], float]) -> None:
        self.fallback = fallback

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and not outcome.failed:
            result = outcome.result()
            retry_after = getattr(outcome_of(result), "retry_after", None)
            if retry_after is not None:
                return retry_after
        return self.fallback(retry_state)


def outcome_of(value: object) -> Outcome | None:
    """The :class:`Outcome` carried by an attempt result (an Outcome or anything with ``.outcome``)."""
    if isinstance(value, Outcome):
        return value
    found = getattr(value, "outcome", None)
    return found if isinstance(found, Outcome) else None


def _wants_retry(value: object, should_retry: Callable[[Outcome], bool]) -> bool:
    outcome = outcome_of(value)
    return outcome is not None and should_retry(outcome)


def retrying(
    retries: int,
    *,
    sleep: Callable[[float], None],
    should_retry: Callable[[Outcome], bool] = is_transient,
    before_sleep: Callable[[tenacity.RetryCallState], None] | None = None,
    backoff_initial: float = BACKOFF_INITIAL,
    backoff_max: float = BACKOFF_MAX,
) -> tenacity.Retrying:
    """A tenacity policy over attempt results that carry an :class:`Outcome` (see :func:`outcome_of`).

    Up to ``retries + 1`` attempts; the last attempt's result is returned (never
    raises ``RetryError``). Exceptions raised by an attempt are not retried: they
    propagate (an attempt reports network failures as data).
    """
    import tenacity

    return tenacity.Retrying(
        retry=tenacity.retry_if_result(lambda value: _wants_retry(value, should_retry)),
        stop=tenacity.stop_after_attempt(retries + 1),
        wait=wait_retry_after(
            tenacity.wait_exponential(multiplier=backoff_initial, max=backoff_max)
            + tenacity.wait_random(0, BACKOFF_JITTER)
        ),
        sleep=sleep,
        before_sleep=before_sleep,
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        reraise=True,
    )


def call_with_retries(
    attempt: Callable[[], T],
    retries: int,
    *,
    sleep: Callable[[float], None],
    should_retry: Callable[[Outcome], bool] = is_transient,
    before_sleep: Callable[[tenacity.RetryCallState], None] | None = None,
) -> T:
    """``retrying(...)(attempt)``, with the first attempt made before any policy is built.

    Most fetches need one attempt, and building and running tenacity's machinery for it
    is 5% of a request's CPU; when the first result must be retried, the policy starts
    from it (it is not made again), so attempts, waits and ``before_sleep`` are those of
    :func:`retrying`.
    """
    first = attempt()
    if retries <= 0 or not _wants_retry(first, should_retry):
        return first
    replay = [first]

    def again() -> T:
        return replay.pop() if replay else attempt()

    policy = retrying(retries, sleep=sleep, should_retry=should_retry, before_sleep=before_sleep)
    return policy(again)  # type: ignore[no-any-return]
