-- What analysts query. Days are UTC calendar days of publication, whatever the session's time
-- zone; titles without a publication time are left out of the daily view. Shares and the net
-- score count labelled titles only, so unlabelled ones never skew them.

CREATE VIEW labelled_titles AS
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
WHERE sentiment IS NOT NULL;

CREATE VIEW daily_sentiment AS
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
WHERE t.published_at IS NOT NULL
GROUP BY 1;

COMMENT ON VIEW daily_sentiment IS
    'One row per UTC day of publication that has titles: counts, shares of labelled titles, and '
    'net_score = mean of p(positive) - p(negative) over labelled titles.';
COMMENT ON VIEW labelled_titles IS 'Labelled titles with each sentiment''s probability and net = p(positive) - p(negative).';
