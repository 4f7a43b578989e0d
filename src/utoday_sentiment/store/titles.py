"""The titles store: headlines stored once each, labels claimed and written, the scrape watermark.

Every statement is parameterised; every function commits or rolls back what it opened.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.extras

from ..coins import load_lexicon
from ..records import Title
from .connection import Connection, Cursor, fetch_one, rollback_quietly, translate_errors

# ---------------------------------------------------------------------------------------------
# titles


def insert_titles(conn: Connection, titles: Iterable[Title]) -> list[str]:
    """Insert a page of titles in one statement; return the URLs that were new. Commits.

    Existing URLs are left as they are (`ON CONFLICT (url) DO NOTHING`), so the same page stored
    twice, or by two scrapers at once, keeps one row per article.
    """
    from .tags import tag_rows

    version = load_lexicon().version
    rows = [(*_row(t), version) for t in titles]
    if not rows:
        return []
    try:
        with translate_errors("storing titles"), conn.cursor() as cur:
            new = psycopg2.extras.execute_values(
                cur,
                "INSERT INTO titles (url, title, published_at, author, category, sponsored,"
                " source, tagged_with) VALUES %s ON CONFLICT (url) DO NOTHING"
                " RETURNING id, title, url",
                rows,
                page_size=max(len(rows), 1),
                fetch=True,
            )
            tag_rows(cur, [(row_id, title) for row_id, title, _ in new], fresh=True)
            conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
    return [row[2] for row in new]


def _row(t: Title) -> tuple[Any, ...]:
    return (t.url, t.title, t.published_at, t.author, t.category, t.sponsored, t.source)


# Reparse: a title not stored yet is added; a stored one gets only what it lacks (a publication
# time, an author, a category: never an empty value over a filled one) and the sponsored flag
# when its category now says so. Unchanged rows are not touched (and not returned).
_MERGE_SQL = """
INSERT INTO titles AS t (url, title, published_at, author, category, sponsored, source)
VALUES %s
ON CONFLICT (url) DO UPDATE SET
    published_at = COALESCE(t.published_at, EXCLUDED.published_at),
    author = COALESCE(NULLIF(t.author, ''), EXCLUDED.author),
    category = COALESCE(NULLIF(t.category, ''), EXCLUDED.category),
    sponsored = t.sponsored OR EXCLUDED.sponsored
WHERE (t.published_at IS NULL AND EXCLUDED.published_at IS NOT NULL)
   OR (NULLIF(t.author, '') IS NULL AND EXCLUDED.author IS NOT NULL)
   OR (NULLIF(t.category, '') IS NULL AND EXCLUDED.category IS NOT NULL)
   OR (NOT t.sponsored AND EXCLUDED.sponsored)
RETURNING t.id, t.title, (xmax = 0) AS added
"""


def merge_titles(cur: Cursor, titles: Iterable[Title]) -> tuple[int, int]:
    """Within the caller's transaction: (titles added, titles whose missing fields were filled)."""
    rows = list({t.url: _row(t) for t in titles}.values())
    if not rows:
        return 0, 0
    from .tags import tag_rows

    changed = psycopg2.extras.execute_values(
        cur, _MERGE_SQL, rows, page_size=max(len(rows), 1), fetch=True
    )
    new = [(row_id, title) for row_id, title, was_added in changed if was_added]
    tag_rows(cur, new)
    return len(new), len(changed) - len(new)


def title_status(conn: Connection) -> dict[str, Any]:
    """Counts, sentiment shares and freshness of the `titles` table (read-only)."""
    try:
        with translate_errors("reading the status"), conn.cursor() as cur:
            cur.execute(
                "SELECT count(*),"
                " count(*) FILTER (WHERE sentiment IS NOT NULL),"
                " count(*) FILTER (WHERE sentiment IS NULL AND NOT sponsored"
                "  AND label_attempts < %(max)s),"
                " count(*) FILTER (WHERE sentiment IS NULL AND NOT sponsored"
                "  AND label_attempts >= %(max)s),"
                " count(*) FILTER (WHERE sentiment = 'positive'),"
                " count(*) FILTER (WHERE sentiment = 'neutral'),"
                " count(*) FILTER (WHERE sentiment = 'negative'),"
                " max(published_at), max(scraped_at), max(labelled_at),"
                " count(*) FILTER (WHERE sponsored),"
                " count(*) FILTER (WHERE sentiment IS NULL AND NOT sponsored"
                "  AND label_attempts < %(max)s AND claimed_until > now()),"
                " min(claimed_until) FILTER (WHERE sentiment IS NULL AND NOT sponsored"
                "  AND label_attempts < %(max)s AND claimed_until > now())"
                " FROM titles",
                {"max": MAX_LABEL_ATTEMPTS},
            )
            row = fetch_one(cur)
        conn.rollback()
    except BaseException:
        rollback_quietly(conn)
        raise
    total, labelled, unlabelled, failed, positive, neutral, negative = row[:7]

    def share(n: int) -> float | None:
        return n / labelled if labelled else None

    return {
        "titles": total,
        "labelled": labelled,
        "unlabelled": unlabelled,
        "failed": failed,
        "sponsored": row[10],
        "held_by_a_labeller": row[11],  # of the unlabelled: leased by a running (or dead) labeller
        "held_until": row[12],  # when the earliest of those leases ends
        "positive_share": share(positive),
        "neutral_share": share(neutral),
        "negative_share": share(negative),
        "newest_published_at": row[7],
        "newest_scraped_at": row[8],
        "newest_labelled_at": row[9],
    }


# ---------------------------------------------------------------------------------------------
# labels

# After this many refusals (HTTP 400) a title is no longer sent; it stays unlabelled with a reason.
MAX_LABEL_ATTEMPTS = 3

# Awaiting a label: not sponsored, not refused too often, not refused earlier in this run, and
# either without a sentiment or (relabel) labelled by another model than the configured one.
# A claim takes pending titles that no live lease holds, newest first, and leases them: the
# subquery's row locks (SKIP LOCKED) keep two claims from taking one row, and the lease, committed
# at once, keeps it from every other labeller until the results are written or the lease ends.
_CLAIM_SQL = """
UPDATE titles AS t
SET claimed_until = now() + make_interval(secs => %(lease)s), claim_token = %(token)s
WHERE t.id IN (
    SELECT id FROM titles
    WHERE label_attempts < %(max)s AND id <> ALL(%(skip)s::bigint[]) AND NOT sponsored
      AND CASE WHEN %(relabel)s THEN sentiment_model IS DISTINCT FROM %(model)s
               ELSE sentiment IS NULL END
      AND (claimed_until IS NULL OR claimed_until < now())
    ORDER BY published_at DESC NULLS LAST, id DESC
    LIMIT %(size)s
    FOR UPDATE SKIP LOCKED)
RETURNING t.id, t.title, t.published_at
"""
_COUNT_PENDING_SQL = """
SELECT count(*) FROM titles
WHERE label_attempts < %(max)s AND id <> ALL(%(skip)s::bigint[]) AND NOT sponsored
  AND CASE WHEN %(relabel)s THEN sentiment_model IS DISTINCT FROM %(model)s
           ELSE sentiment IS NULL END
"""
_COUNT_HELD_SQL = """
SELECT count(*), min(claimed_until) FROM titles
WHERE label_attempts < %(max)s AND id <> ALL(%(skip)s::bigint[]) AND NOT sponsored
  AND CASE WHEN %(relabel)s THEN sentiment_model IS DISTINCT FROM %(model)s
           ELSE sentiment IS NULL END
  AND claimed_until > now()
"""
# Results land only on rows whose claim is still this labeller's own (its lease may have ended
# and another labeller claimed them meanwhile); the claim is cleared with them.
_STORE_LABELS_SQL = (
    "UPDATE titles AS t SET sentiment = v.sentiment, sentiment_score = v.score,"
    " sentiment_scores = v.scores, sentiment_model = v.model, labelled_at = now(),"
    " label_attempts = 0, label_error = NULL, claimed_until = NULL, claim_token = NULL"
    " FROM (VALUES %s) AS v(id, sentiment, score, scores, model, token)"
    " WHERE t.id = v.id AND t.claim_token = v.token"
)
_STORE_REFUSED_SQL = (
    "UPDATE titles AS t SET label_attempts = t.label_attempts + 1, label_error = v.error,"
    " claimed_until = NULL, claim_token = NULL"
    " FROM (VALUES %s) AS v(id, error, token) WHERE t.id = v.id AND t.claim_token = v.token"
)
_RELEASE_SQL = "UPDATE titles SET claimed_until = NULL, claim_token = NULL WHERE claim_token = %s"


def _pending_params(model: str, relabel: bool, skip: Iterable[int]) -> dict[str, Any]:
    return {"max": MAX_LABEL_ATTEMPTS, "skip": list(skip), "relabel": relabel, "model": model}


@dataclass(frozen=True)
class Claim:
    token: str  # whose lease it is
    rows: list[tuple[int, str]]  # (id, title), newest first


def claim_batch(
    conn: Connection,
    size: int,
    *,
    model: str,
    lease_seconds: float,
    relabel: bool = False,
    skip: Iterable[int] = (),
) -> Claim:
    """Lease up to `size` titles awaiting a label, newest first, and commit the lease at once.

    No transaction stays open after this returns. Other labellers skip leased rows until the
    results are written (`store_labels`), the claim is given back (`release`), or the lease ends.
    `relabel`: titles labelled by another model than `model` (or not at all).
    `skip`: ids this run already saw refused, so one run does not send them again.
    """
    token = str(uuid.uuid4())
    params = {**_pending_params(model, relabel, skip), "size": size, "lease": lease_seconds,
              "token": token}
    try:
        with translate_errors("claiming titles to label"), conn.cursor() as cur:
            cur.execute(_CLAIM_SQL, params)
            rows = cur.fetchall()
            conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
    rows.sort(key=lambda r: (r[2] is not None, r[2] or 0, r[0]), reverse=True)
    return Claim(token, [(row_id, title) for row_id, title, _ in rows])


def store_labels(
    conn: Connection,
    claim: Claim,
    labels: Iterable[tuple[int, str, float, dict[str, float]]],
    refused: Iterable[tuple[int, str]],
    *,
    model: str,
) -> int:
    """Write a claimed batch's labels and refusals in one short transaction, clear the claim, and
    commit. Returns how many rows were written: fewer than given when the lease had ended and
    another labeller took some of them."""
    token = claim.token
    label_rows = [(i, s, score, json.dumps(scores), model, token) for i, s, score, scores in labels]
    refused_rows = [(i, error, token) for i, error in refused]
    written = 0
    try:
        with translate_errors("storing labels"), conn.cursor() as cur:
            if label_rows:
                psycopg2.extras.execute_values(
                    cur, _STORE_LABELS_SQL, label_rows,
                    template="(%s::bigint, %s::text, %s::float8, %s::jsonb, %s::text, %s::uuid)",
                    page_size=len(label_rows),
                )
                written += cur.rowcount
            if refused_rows:
                psycopg2.extras.execute_values(
                    cur, _STORE_REFUSED_SQL, refused_rows,
                    template="(%s::bigint, %s::text, %s::uuid)", page_size=len(refused_rows),
                )
                written += cur.rowcount
            if len(label_rows) + len(refused_rows) < len(claim.rows):
                cur.execute(_RELEASE_SQL, (token,))  # what was neither labelled nor refused
            conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
    return written


def release(conn: Connection, claim: Claim) -> None:
    """Give back a claimed batch unchanged (the lease ends now). Never raises: when the database
    is gone, the lease simply runs out."""
    try:
        with conn.cursor() as cur:
            cur.execute(_RELEASE_SQL, (claim.token,))
        conn.commit()
    except psycopg2.Error:
        rollback_quietly(conn)


def count_held(conn: Connection, *, model: str, relabel: bool = False
               ) -> tuple[int, datetime | None]:
    """Of the titles awaiting a label, how many another labeller's live lease holds, and when
    the earliest of those leases ends."""
    with translate_errors("counting leased titles"), conn.cursor() as cur:
        cur.execute(_COUNT_HELD_SQL, _pending_params(model, relabel, ()))
        count, until = fetch_one(cur)
    conn.rollback()
    return count, until


def count_pending(
    conn: Connection, *, model: str, relabel: bool = False, skip: Iterable[int] = ()
) -> int:
    with translate_errors("counting titles to label"), conn.cursor() as cur:
        cur.execute(_COUNT_PENDING_SQL, _pending_params(model, relabel, skip))
        (count,) = fetch_one(cur)
    conn.rollback()
    return count


# ---------------------------------------------------------------------------------------------
# scrape watermark


def scrape_watermark(conn: Connection) -> tuple[datetime | None, bool]:
    """(covered_until, whether any title is stored): where a daily scrape may stop."""
    with translate_errors("reading the scrape watermark"), conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT covered_until FROM scrape_watermark), EXISTS (SELECT 1 FROM titles)"
        )
        covered_until, has_titles = fetch_one(cur)
    conn.rollback()
    return covered_until, has_titles


def raise_scrape_watermark(conn: Connection, covered_until: datetime) -> None:
    """Everything down from `covered_until` is stored: never lowers it (concurrent runs)."""
    try:
        with translate_errors("raising the scrape watermark"), conn.cursor() as cur:
            cur.execute(
                "INSERT INTO scrape_watermark (covered_until) VALUES (%s)"
                " ON CONFLICT (id) DO UPDATE SET covered_until ="
                " GREATEST(scrape_watermark.covered_until, EXCLUDED.covered_until),"
                " updated_at = now()",
                (covered_until,),
            )
            conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
