-- Which coins (and topics) each headline is about, from the coin lexicon shipped with the
-- package. A table, not a text[] column: the per-coin view groups by coin with a plain index and
-- a join (no unnest), and re-tagging replaces one title's rows in one statement.
CREATE TABLE title_coins (
    title_id bigint NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
    coin     text   NOT NULL,
    PRIMARY KEY (title_id, coin)
);
CREATE INDEX title_coins_coin_idx ON title_coins (coin, title_id);

CREATE TABLE title_topics (
    title_id bigint NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
    topic    text   NOT NULL,
    PRIMARY KEY (title_id, topic)
);

-- The lexicon version that tagged the title; NULL until tagged. `utoday-sentiment tag` re-tags
-- titles an older version tagged.
ALTER TABLE titles ADD COLUMN tagged_with text;

-- One row per UTC day of publication and coin, same definitions as daily_sentiment.
CREATE VIEW coin_daily_sentiment AS
SELECT
    (t.published_at AT TIME ZONE 'UTC')::date                                    AS day,
    c.coin,
    count(*)                                                                     AS titles,
    count(t.sentiment)                                                           AS labelled,
    count(*) FILTER (WHERE t.sentiment = 'positive')                             AS positive,
    count(*) FILTER (WHERE t.sentiment = 'neutral')                              AS neutral,
    count(*) FILTER (WHERE t.sentiment = 'negative')                             AS negative,
    round((count(*) FILTER (WHERE t.sentiment = 'positive'))::numeric
          / NULLIF(count(t.sentiment), 0), 4)                                    AS positive_share,
    round((count(*) FILTER (WHERE t.sentiment = 'neutral'))::numeric
          / NULLIF(count(t.sentiment), 0), 4)                                    AS neutral_share,
    round((count(*) FILTER (WHERE t.sentiment = 'negative'))::numeric
          / NULLIF(count(t.sentiment), 0), 4)                                    AS negative_share,
    round(avg(COALESCE((t.sentiment_scores ->> 'positive')::double precision, 0)
              - COALESCE((t.sentiment_scores ->> 'negative')::double precision, 0))
          FILTER (WHERE t.sentiment IS NOT NULL)::numeric, 4)                     AS net_score
FROM title_coins AS c
JOIN titles AS t ON t.id = c.title_id
WHERE t.published_at IS NOT NULL AND NOT t.sponsored
GROUP BY 1, 2;

COMMENT ON VIEW coin_daily_sentiment IS
    'One row per UTC day of publication and coin: counts, shares of labelled titles, and '
    'net_score = mean of p(positive) - p(negative), as daily_sentiment.';
