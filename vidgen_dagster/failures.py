"""How core errors become Dagster failures: transient provider errors are retried, the rest stop the run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from vidgen_core.errors import ProviderError, VidgenError

# Steps that call providers retry transient failures; their journals make each retry resume, not repay.
PHASE_KEY = "phase"
PROVIDER_RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL)
INTERRUPTED = "interrupted (Ctrl-C, or the run was stopped); what was made is kept: resume the video to finish it"


@contextmanager
def user_errors() -> Iterator[None]:
    """Re-raise vidgen errors as Dagster failures that say what to do; only transient ones may be retried. An
    interrupt stops the step for good: Dagster would turn it into a retry of a step with a retry policy, and the
    user who pressed Ctrl-C would see the video carry on."""
    try:
        yield
    except (dg.DagsterExecutionInterruptedError, KeyboardInterrupt):
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
