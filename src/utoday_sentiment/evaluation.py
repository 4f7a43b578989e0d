"""Is the label right? Samples for people to judge, their judgements imported, and the model's
labels measured against them (scikit-learn does the maths: the `eval` extra)."""

from __future__ import annotations

import csv
import random
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .settings import SENTIMENTS
from .store.connection import Connection, rollback_quietly, translate_errors

LABELS = ("negative", "neutral", "positive")
SAMPLE_COLUMNS = ("id", "url", "published_at", "title", "label")

_CANDIDATES_SQL = """
SELECT t.id, t.url, t.published_at, t.title, COALESCE(t.sentiment, 'unlabelled'),
       (t.published_at AT TIME ZONE 'UTC')::date
FROM titles AS t
WHERE NOT t.sponsored
  AND (%(judged_too)s OR NOT EXISTS (SELECT 1 FROM judgements AS j WHERE j.title_id = t.id))
ORDER BY t.id
"""
JUDGED_SQL = """
SELECT t.id, t.title, j.label, t.sentiment, t.sentiment_model, t.url, j.judge
FROM judgements AS j JOIN titles AS t ON t.id = j.title_id
ORDER BY t.id, j.judge
"""


def candidates(conn: Connection, *, judged_too: bool = False) -> list[tuple[Any, ...]]:
    """Titles to judge, not sponsored: those nobody judged, or with `judged_too` every one."""
    with translate_errors("sampling titles"), conn.cursor() as cur:
        cur.execute(_CANDIDATES_SQL, {"judged_too": judged_too})
        rows = cur.fetchall()
    conn.rollback()
    return rows


def sample(conn: Connection, size: int, seed: int) -> list[tuple[Any, ...]]:
    """`size` titles nobody judged, the same for the same seed and data: stratified over the
    current labels (each label in turn), spread over days (each day in turn within a label)."""
    rows = candidates(conn)
    if not rows:
        raise ConfigError("nothing to sample: every stored title is judged already, or none is "
                          "stored; run `utoday-sentiment run` first")
    picked = _stratified(rows, size, seed)
    return [(r[0], r[1], r[2].isoformat() if r[2] else "", r[3], "") for r in picked]


def next_to_judge(conn: Connection, judge: str, *, skip: Sequence[int] = ()
                  ) -> dict[str, Any] | None:
    """The next title for `judge` (the sampler's first pick among what they have not judged
    nor skipped), blind: no label, no probability; with how many they judged and how many are
    left. None when nothing is left."""
    every = candidates(conn, judged_too=True)
    with translate_errors("counting judgements"), conn.cursor() as cur:
        cur.execute("SELECT title_id FROM judgements WHERE judge = %s", (judge,))
        done = {row[0] for row in cur.fetchall()}
    conn.rollback()
    left = done | set(skip)
    # the judge's own stable sequence, stratified as `evaluate sample` draws: judging along it
    # keeps the labels in turn, whatever was judged before
    order = [r for r in _stratified(every, len(every), zlib.crc32(judge.encode()))
             if r[0] not in left]
    if not order:
        return None
    first = order[0]
    return {"id": first[0], "title": first[3], "url": first[1], "published_at": first[2],
            "judged": len(done), "remaining": len(order)}


def _stratified(rows: list[tuple[Any, ...]], size: int, seed: int) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    strata: dict[str, dict[Any, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        strata[row[4]][row[5]].append(row)
    queues = []
    for label in sorted(strata):
        days = strata[label]
        for titles in days.values():
            rng.shuffle(titles)
        order = sorted(days, key=str)
        rng.shuffle(order)
        queue = []
        while any(days[d] for d in order):  # one title a day in turn
            queue += [days[d].pop() for d in order if days[d]]
        queues.append(queue)
    picked: list[tuple[Any, ...]] = []
    while len(picked) < size and any(queues):
        for queue in queues:
            if queue and len(picked) < size:
                picked.append(queue.pop(0))
    return picked


def write_sample(rows: Sequence[tuple[Any, ...]], path: Path) -> None:
    """The file people label: id, url, published_at, title and an empty label column. The
    model's label is never in it, so judging stays blind."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(SAMPLE_COLUMNS)
        writer.writerows(rows)


def parse_label_map(text: str | None) -> dict[str, str]:
    """`bullish=positive,bearish=negative` -> synonyms (lower case) for the three labels."""
    mapping = {name: name for name in SENTIMENTS}
    for entry in filter(None, (e.strip() for e in (text or "").split(","))):
        word, sep, label = entry.partition("=")
        if not sep or label.strip().lower() not in SENTIMENTS:
            raise ConfigError(f"--label-map entry {entry!r} is not word=positive|neutral|negative")
        mapping[word.strip().lower()] = label.strip().lower()
    return mapping


@dataclass(frozen=True)
class Judgement:
    title_id: int
    label: str


def read_judgements(path: Path, known_ids: set[int], label_map: dict[str, str]
                    ) -> list[Judgement]:
    """Every line checked; any problem raises ConfigError listing each one by its line number
    as a spreadsheet shows it (the header is line 1). Blank labels are skipped (not judged)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as source:
            reader = csv.DictReader(source)
            columns = [c.strip().lower() for c in reader.fieldnames or []]
            if "id" not in columns or "label" not in columns:
                raise ConfigError(f"{path} has columns {columns}: it needs id and label "
                                  "(the file `evaluate sample` writes)")
            reader.fieldnames = columns
            rows = list(reader)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text; save it as CSV UTF-8") from exc
    problems: list[str] = []
    seen: dict[int, int] = {}
    judged: list[Judgement] = []
    for number, row in enumerate(rows, start=2):
        raw_id, raw_label = (row.get("id") or "").strip(), (row.get("label") or "").strip()
        if not raw_label:
            continue
        try:
            title_id = int(raw_id)
        except ValueError:
            problems.append(f"line {number}: id {raw_id!r} is not a number")
            continue
        label = label_map.get(raw_label.lower())
        if title_id not in known_ids:
            problems.append(f"line {number}: no stored title has id {title_id}")
        if label is None:
            problems.append(f"line {number}: label {raw_label!r} is not positive, neutral or "
                            "negative (map it with --label-map word=label)")
        if title_id in seen:
            problems.append(f"line {number}: id {title_id} again (first on line {seen[title_id]})")
        seen.setdefault(title_id, number)
        if label is not None:
            judged.append(Judgement(title_id, label))
    if problems:
        raise ConfigError(f"{path}: nothing imported; fix these and import again:\n"
                          + "\n".join(problems))
    if not judged:
        raise ConfigError(f"{path} holds no judged line: fill the label column first")
    return judged


_UPSERT_SQL = """
INSERT INTO judgements (title_id, judge, label) VALUES (%s, %s, %s)
ON CONFLICT (title_id, judge) DO UPDATE SET label = EXCLUDED.label, judged_at = now()
"""


def import_judgements(conn: Connection, path: Path, judge: str, label_map: dict[str, str]
                      ) -> int:
    """Validate the whole file, then store every judgement in one transaction."""
    with translate_errors("reading title ids"), conn.cursor() as cur:
        cur.execute("SELECT id FROM titles")
        known = {row[0] for row in cur.fetchall()}
    conn.rollback()
    judged = read_judgements(path, known, label_map)
    try:
        with translate_errors("storing judgements"), conn.cursor() as cur:
            cur.executemany(_UPSERT_SQL, [(j.title_id, judge, j.label) for j in judged])
        conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
    return len(judged)


def judged_titles(conn: Connection) -> list[tuple[Any, ...]]:
    """Every judgement with its title: (id, title, judgement, model label, model, url, judge)."""
    with translate_errors("reading judgements"), conn.cursor() as cur:
        cur.execute(JUDGED_SQL)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def stored_quality(judged: Sequence[tuple[Any, ...]], model: str, *, seed: int = 0
                   ) -> dict[str, Any]:
    """`evaluate report --json`'s document for `model`'s stored labels against the judgements
    (`judged_titles` rows); ConfigError when none of its labels was judged."""
    from . import metrics

    pairs = [(r[2], r[3]) for r in judged if r[4] == model and r[3]]
    if not pairs:
        raise ConfigError(f"no judged title carries a label of {model}; label them first, "
                          "or pick --model (see the model_quality view) or --backend")
    return metrics.report([t for t, _ in pairs], [p for _, p in pairs], model=model, seed=seed)


def judged_models(judged: Sequence[tuple[Any, ...]]) -> list[str]:
    """The models whose stored labels people judged, most judged first."""
    counts: dict[str, int] = defaultdict(int)
    for row in judged:
        if row[3] and row[4]:
            counts[row[4]] += 1
    return sorted(counts, key=lambda m: (-counts[m], m))


def store_judgement(conn: Connection, title_id: int, judge: str, label: str) -> None:
    """One judgement, as `evaluate import` stores them: one per title per judge, judging again
    replaces it. ConfigError for an unknown title or label."""
    if label not in LABELS:
        raise ConfigError(f"label {label!r} is not positive, neutral or negative")
    if not judge.strip():
        raise ConfigError("judge is empty: give the judge's name")
    import psycopg2

    try:
        with translate_errors("storing a judgement"), conn.cursor() as cur:
            try:
                cur.execute(_UPSERT_SQL, (title_id, judge.strip(), label))
            except psycopg2.errors.ForeignKeyViolation as exc:
                raise ConfigError(f"no stored title has id {title_id}") from exc
        conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
