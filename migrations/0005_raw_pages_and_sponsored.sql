-- Sponsored cards (Partners, Airdrops, Events, press releases...) are stored, flagged, and kept
-- out of labelling and of every analyst view: they are advertising, not news mood.
ALTER TABLE titles ADD COLUMN sponsored boolean NOT NULL DEFAULT false;

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
    labelled_at
FROM titles
WHERE sentiment IS NOT NULL AND NOT sponsored;

CREATE OR REPLACE VIEW daily_sentiment AS
SELECT
    (t.published_at AT TIME ZONE 'UTC')::date                                    AS day,
    count(*)                                                                     AS titles,
    count(t.sentiment)                                                           AS labelled,
    count(*) FILTER (WHERE t.sentiment = 'positive')                             AS positive,
    count(*) FILTER (WHERE t.sentiment = 'neutral')                              AS neutral,
    count(*) FILTER (WHERE t.sentiment = 'negative')                             AS negative,
    count(*) - count(t.sentiment)                                                AS unlabelled,
    round((count(*) FILTER (WHERE t.sentiment = 'positive'))::numeric
          / NULLIF(count(t.sentiment), 0), 4)                                    AS positive_share,
    round((count(*) FILTER (WHERE t.sentiment = 'neutral'))::numeric
          / NULLIF(count(t.sentiment), 0), 4)                                    AS neutral_share,
    round((count(*) FILTER (WHERE t.sentiment = 'negative'))::numeric
          / NULLIF(count(t.sentiment), 0), 4)                                    AS negative_share,
    round(avg(COALESCE((t.sentiment_scores ->> 'positive')::double precision, 0)
              - COALESCE((t.sentiment_scores ->> 'negative')::double precision, 0))
          FILTER (WHERE t.sentiment IS NOT NULL)::numeric, 4)                     AS net_score
FROM titles AS t
WHERE t.published_at IS NOT NULL AND NOT t.sponsored
GROUP BY 1;

-- Every listing page and RSS response the scraper received, so a parser fix can be tested on the
-- page that broke it and replayed over what was stored meanwhile (`utoday-sentiment reparse`).
-- Bodies are gzip-compressed and stored once per content hash; pages older than the retention
-- (UTODAY_RAW_RETENTION_DAYS) are pruned by the scraper, and bodies no page refers to with them.
CREATE TABLE raw_bodies (
    content_hash text        PRIMARY KEY,  -- sha256 of the uncompressed body, hex
    body         bytea       NOT NULL,     -- gzip
    size         integer     NOT NULL,     -- uncompressed bytes
    stored_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE raw_pages (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url            text        NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('listing', 'rss')),
    page_number    integer,
    fetched_at     timestamptz NOT NULL DEFAULT now(),
    status         integer     NOT NULL,
    content_hash   text        NOT NULL REFERENCES raw_bodies (content_hash),
    parser_version text        NOT NULL,
    cards          integer     NOT NULL DEFAULT 0,
    titles         integer     NOT NULL DEFAULT 0
);

CREATE INDEX raw_pages_fetched_at_idx ON raw_pages (fetched_at);
CREATE INDEX raw_pages_content_hash_idx ON raw_pages (content_hash);
