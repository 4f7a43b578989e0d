"""The label stage: titles awaiting a sentiment, newest first, through a labelling backend.

Each batch is leased (a committed claim with an expiry), sent to the backend with no transaction
open, and its results written by a second short transaction only where the lease is still this
run's own. Concurrent labellers never label a row twice, a labeller that dies leaves rows that are
claimable again when the lease ends, and a stop at any point loses no answered batch. Memory
holds one batch, whatever the backlog.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from .deadline import Deadline
from .errors import UtodayError
from .labelling import InputRefused, Labeller, OutOfTime, ServiceFault
from .labelling.base import MIN_REQUEST_SECONDS
from .records import LabelRequest, LabelSummary
from .settings import Settings
from .store.connection import Connection
from .store.titles import claim_batch, count_held, count_pending, release, store_labels

log = logging.getLogger(__name__)

BatchCallback = Callable[[int], None]
Labelled = list[tuple[int, str, float, dict[str, float]]]
Refused = list[tuple[int, str]]


def label_titles(
    conn: Connection,
    labeller: Labeller,
    settings: Settings,
    request: LabelRequest,
    deadline: Deadline,
    summary: LabelSummary,
    on_batch: BatchCallback | None = None,
) -> None:
    """Fill `summary` batch by batch; raise a UtodayError where the run cannot go on (every batch
    committed before it stays, the batch in hand is given back unchanged)."""
    limit, relabel, model = request.limit, request.relabel, labeller.model
    size = request.batch_size or settings.hf_batch_size
    refused_ids: set[int] = set()  # only the refused ones: small, and keeps one run from resending
    try:
        while limit is None or summary.labelled + summary.failed < limit:
            if not deadline.allows(MIN_REQUEST_SECONDS):
                summary.stopped = "out of time"
                break
            room = size if limit is None else min(size, limit - summary.labelled - summary.failed)
            claim = claim_batch(conn, room, model=model, relabel=relabel, skip=refused_ids,
                                lease_seconds=settings.label_lease_seconds)
            if not claim.rows:
                break
            labels: Labelled = []
            refused: Refused = []
            try:
                _classify(labeller, claim.rows, deadline, labels, refused)
            except OutOfTime as exc:
                summary.stopped = f"out of time ({exc})"
            except BaseException:
                release(conn, claim)  # a fatal answer: this batch changes nothing
                raise
            if labels or refused:
                written = store_labels(conn, claim, labels, refused, model=model)
                if written < len(labels) + len(refused):
                    log.warning(
                        "the lease on %d titles ended before their labels came back; another "
                        "labeller took them, so these results were dropped (LABEL_LEASE_SECONDS)",
                        len(labels) + len(refused) - written,
                    )
            else:
                release(conn, claim)
            summary.labelled += len(labels)
            summary.failed += len(refused)
            refused_ids.update(row_id for row_id, _ in refused)
            for row_id, reason in refused:
                log.warning("title %d refused by the backend: %s", row_id, reason)
            if on_batch:
                on_batch(len(labels) + len(refused))
            if summary.stopped:
                break
        else:
            summary.stopped = f"limit of {limit} reached"
    except UtodayError:
        summary.stopped = "stopped by the error below"
        raise
    finally:
        summary.requests, summary.retries = labeller.requests_sent, labeller.retries
        with contextlib.suppress(UtodayError):
            summary.remaining = count_pending(conn, model=model, relabel=relabel)
            if summary.remaining:  # this run's own leases are all given back by now
                summary.held, until = count_held(conn, model=model, relabel=relabel)
                summary.held_until = until.isoformat() if until else None


# A headline any sentiment model answers: the control when a whole batch is refused.
PROBE = "Bitcoin Price Holds Steady Ahead of the Weekend"


def _classify(
    labeller: Labeller,
    rows: list[tuple[int, str]],
    deadline: Deadline,
    labels: Labelled,
    refused: Refused,
) -> None:
    """Label a claimed batch. A title is held refused only on evidence that the service works:
    its neighbours answered, or (when nothing in the batch did: the whole batch, then both its
    halves, or a lone title) an ordinary control headline does. When the control is refused too,
    it is a service fault: the run stops and no title is retired, after a few requests rather
    than a bisection of the whole batch."""
    first = _try(labeller, rows, deadline, labels)
    if first is None:
        return
    if len(rows) == 1:
        suspects = [(rows, first)]
    else:
        middle = len(rows) // 2
        tried = [(half, _try(labeller, half, deadline, labels))
                 for half in (rows[:middle], rows[middle:])]
        suspects = [(half, exc) for half, exc in tried if exc is not None]
        if len(suspects) < len(tried):  # a sibling answered: the service works
            for half, exc in suspects:
                _isolate(labeller, half, deadline, labels, refused, exc)
            return
    try:
        labeller.classify([PROBE], deadline)
    except InputRefused as control:
        raise _fault(len(rows), control) from control
    for half, refusal in suspects:  # the control answered: the titles are at fault
        _isolate(labeller, half, deadline, labels, refused, refusal)


def _isolate(
    labeller: Labeller,
    rows: list[tuple[int, str]],
    deadline: Deadline,
    labels: Labelled,
    refused: Refused,
    exc: InputRefused,
) -> None:
    if len(rows) == 1:
        refused.append((rows[0][0], exc.reason))
        return
    middle = len(rows) // 2
    for half in (rows[:middle], rows[middle:]):
        again = _try(labeller, half, deadline, labels)
        if again is not None:
            _isolate(labeller, half, deadline, labels, refused, again)


def _try(
    labeller: Labeller, rows: list[tuple[int, str]], deadline: Deadline, labels: Labelled
) -> InputRefused | None:
    """Classify `rows` into `labels`; the refusal when the backend refused them."""
    try:
        predictions = labeller.classify([title for _, title in rows], deadline)
    except InputRefused as exc:
        return exc
    labels.extend(
        (row_id, p.sentiment, p.score, p.scores)
        for (row_id, _), p in zip(rows, predictions, strict=True)
    )
    return None


def _fault(size: int, exc: InputRefused) -> ServiceFault:
    what = "a lone title" if size == 1 else f"a batch of {size} titles, both its halves"
    return ServiceFault(
        f"{exc.reason}, for {what} and an ordinary control headline: a fault of the service, "
        "not of the titles; no title was changed; the next run tries again (check HF_MODEL and "
        "https://status.huggingface.co)"
    )
