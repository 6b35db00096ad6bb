"""How core errors become Dagster failures: transient provider errors are retried, the rest stop the run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg

from vidgen_core.domain.errors import ProviderError, VidgenError

# Steps that call providers retry transient failures; their journals make each retry resume, not repay.
PHASE_KEY = "phase"
PROVIDER_RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL)
INTERRUPTED = "interrupted (Ctrl-C, or the run was stopped); what was made is kept: resume the video to finish it"
# What an interrupt (Ctrl-C, SIGTERM, a run stopped from the UI) is raised as in a step or a run.
INTERRUPTS = (dg.DagsterExecutionInterruptedError, KeyboardInterrupt)


def is_interrupt(error: Any) -> bool:
    """Whether a run's or a step's recorded error (a SerializableErrorInfo, or None), or any error it wraps, is an
    interrupt: decided by its class, as the error was raised, never by words in its message."""
    names = {cls.__name__ for cls in INTERRUPTS}
    while error is not None:
        if error.cls_name in names:
            return True
        error = error.cause
    return False


@contextmanager
def user_errors() -> Iterator[None]:
    """Re-raise vidgen errors as Dagster failures that say what to do; only transient ones may be retried. An
    interrupt stops the step for good: Dagster would turn it into a retry of a step with a retry policy, and the
    user who pressed Ctrl-C would see the video carry on."""
    try:
        yield
    except INTERRUPTS:
        raise dg.Failure(description=INTERRUPTED, allow_retries=False) from None
    except ProviderError as exc:
        if exc.retryable:
            raise
        raise dg.Failure(
            description=str(exc),
            allow_retries=False,
            metadata={"provider": exc.provider, "model": exc.model, "item": exc.item or "-"} | _phase(exc),
        ) from None
    except VidgenError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False, metadata=_phase(exc)) from None


def _phase(exc: VidgenError) -> dict[str, str]:
    """The phase that failed, when one step makes several (failure texts name the phase, not the step)."""
    return {PHASE_KEY: str(exc.phase)} if exc.phase else {}
