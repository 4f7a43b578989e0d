-- More outlets than U.Today: each title records where it came from (`utoday` for the listing,
-- or a feed's short name such as `coindesk`), and which story it tells: titles of different
-- sources that report the same story share a story_id (the id of the story's first title; NULL
-- until grouped, and a title alone is its own story).
ALTER TABLE titles ADD COLUMN source text NOT NULL DEFAULT 'utoday';
ALTER TABLE titles ADD COLUMN story_id bigint;
CREATE INDEX titles_story_idx ON titles (story_id) WHERE story_id IS NOT NULL;

-- Feed bodies are archived too, with whose they are and the Content-Type they came with (a feed
-- may declare its encoding only there), so `reparse` reads them as they were read.
ALTER TABLE raw_pages DROP CONSTRAINT raw_pages_kind_check;
ALTER TABLE raw_pages ADD CONSTRAINT raw_pages_kind_check
    CHECK (kind IN ('listing', 'rss', 'feed'));
ALTER TABLE raw_pages ADD COLUMN source text NOT NULL DEFAULT 'utoday';
ALTER TABLE raw_pages ADD COLUMN content_type text;

-- Each feed's conditional-GET validators and its state, for `utoday-sentiment sources`.
CREATE TABLE feed_state (
    source         text        PRIMARY KEY,
    url            text        NOT NULL,
    etag           text,                   -- as the server sent it, quotes included
    last_modified  text,
    last_fetch_at  timestamptz,            -- the last answer (200 or 304)
    last_status    integer,
    last_new_at    timestamptz,            -- the last fetch that stored a new title
    last_error     text,                   -- NULL once a later fetch succeeded
    last_error_at  timestamptz,
    fetches        bigint      NOT NULL DEFAULT 0,
    not_modified   bigint      NOT NULL DEFAULT 0
);

CREATE OR REPLACE VIEW labelled_titles AS
SELECT
    id,
    title,
    url,
    published_at,
    (published_at AT TIME ZONE 'UTC')::date                                      AS day,
    author,
    category,
    sentiment,
    sentiment_score,
    COALESCE((sentiment_scores ->> 'positive')::double precision, 0)              AS p_positive,
    COALESCE((sentiment_scores ->> 'neutral')::double precision, 0)               AS p_neutral,
    COALESCE((sentiment_scores ->> 'negative')::double precision, 0)              AS p_negative,
    COALESCE((sentiment_scores ->> 'positive')::double precision, 0)
        - COALESCE((sentiment_scores ->> 'negative')::double precision, 0)        AS net,
    sentiment_model,
    labelled_at,
    source,
    COALESCE(story_id, id)                                                       AS story_id
FROM titles
WHERE sentiment IS NOT NULL AND NOT sponsored;

-- Each story counted once: its day is its first title's, its net score the mean over its
-- labelled titles; the day's net score is the mean over its stories.
CREATE VIEW daily_story_sentiment AS
WITH stories AS (
    SELECT COALESCE(story_id, id) AS story, min(published_at) AS first_at, count(*) AS titles,
           count(sentiment) AS labelled, count(DISTINCT source) AS sources,
           avg(COALESCE((sentiment_scores ->> 'positive')::double precision, 0)
               - COALESCE((sentiment_scores ->> 'negative')::double precision, 0))
             FILTER (WHERE sentiment IS NOT NULL) AS net
    FROM titles WHERE published_at IS NOT NULL AND NOT sponsored
    GROUP BY 1)
SELECT (first_at AT TIME ZONE 'UTC')::date                                       AS day,
       count(*)                                                                  AS stories,
       sum(titles)::bigint                                                       AS titles,
       count(*) FILTER (WHERE sources > 1)                                       AS told_by_several,
       count(*) FILTER (WHERE labelled > 0)                                      AS labelled_stories,
       round(avg(net)::numeric, 4)                                               AS net_score
FROM stories GROUP BY 1;

COMMENT ON VIEW daily_story_sentiment IS
    'One row per UTC day: each story counted once (on its first title''s day), net_score = mean '
    'over the stories of each story''s mean p(positive) - p(negative).';
