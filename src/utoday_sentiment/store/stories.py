"""Story ids: titles of different sources that tell one story share the story_id of the story's
first title (the matching is `sources.stories`, pure). New titles are grouped after each stage
that stores titles; a title alone is its own story."""

from __future__ import annotations

import psycopg2.extras

from ..sources.stories import WINDOW, Headline, best_match
from .connection import Connection, rollback_quietly, translate_errors

_UNGROUPED_SQL = """
SELECT t.id, t.title, t.source, t.published_at,
       ARRAY(SELECT c.coin FROM title_coins AS c WHERE c.title_id = t.id)
FROM titles AS t
WHERE t.story_id IS NULL AND NOT t.sponsored AND t.published_at IS NOT NULL
ORDER BY t.published_at, t.id
LIMIT %s
"""
_AROUND_SQL = """
SELECT t.id, t.title, t.source, t.published_at,
       ARRAY(SELECT c.coin FROM title_coins AS c WHERE c.title_id = t.id), t.story_id
FROM titles AS t
WHERE NOT t.sponsored AND t.published_at BETWEEN %s AND %s AND t.source <> ALL(%s::text[])
"""
_SET_SQL = ("UPDATE titles AS t SET story_id = v.story FROM (VALUES %s) AS v(id, story)"
            " WHERE t.id = v.id AND t.story_id IS DISTINCT FROM v.story")


def group_stories(conn: Connection, *, batch: int = 500) -> int:
    """Give every ungrouped title its story_id, one committed batch at a time; return how
    many joined a story told by another source."""
    joined = 0
    while True:
        try:
            with translate_errors("grouping stories"), conn.cursor() as cur:
                cur.execute(_UNGROUPED_SQL, (batch,))
                rows = cur.fetchall()
                if not rows:
                    conn.rollback()
                    return joined
                sources = sorted({r[2] for r in rows})
                # titles of other sources around this batch (one source alone: nothing to match)
                cur.execute(_AROUND_SQL, (rows[0][3] - WINDOW, rows[-1][3] + WINDOW,
                                          sources if len(sources) == 1 else []))
                around = cur.fetchall()
                stories = {r[0]: r[5] for r in around}
                candidates = [Headline(r[0], r[1], r[2], r[3], frozenset(r[4])) for r in around]
                updates: dict[int, int] = {}
                for row in rows:
                    if row[0] in updates:  # joined already, by a title earlier in the batch
                        continue
                    title = Headline(row[0], row[1], row[2], row[3], frozenset(row[4]))
                    near = [c for c in candidates
                            if c.published_at and abs(c.published_at - row[3]) <= WINDOW
                            and c.source != title.source]
                    match = best_match(title, near)
                    if match is None:
                        story = title.id
                    else:
                        story = updates.get(match.id) or stories.get(match.id) or min(
                            match.id, title.id)
                        updates[match.id] = story
                        joined += 1
                    updates[title.id] = story
                    stories[title.id] = story
                psycopg2.extras.execute_values(cur, _SET_SQL, list(updates.items()),
                                               template="(%s::bigint, %s::bigint)")
            conn.commit()
        except BaseException:
            rollback_quietly(conn)
            raise

