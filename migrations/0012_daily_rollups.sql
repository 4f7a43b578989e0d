-- Daily rollups (per day and source, and per day and coin), so that a year of the daily mood or
-- a month of coins costs what is shown (365 days, a few hundred coin-days), not what is stored.
-- Kept exact by triggers in the same transaction as every change they follow: a title stored, labelled, relabelled, flagged
-- sponsored, re-dated or deleted; a coin tag added or removed. Sums of net (p(positive) -
-- p(negative)) are numeric, so adding and taking away never drifts. The analysts' views now read
-- them; their columns and numbers are as before.

CREATE TABLE daily_rollup (
    day       date    NOT NULL,
    source    text    NOT NULL,
    titles    bigint  NOT NULL DEFAULT 0,
    labelled  bigint  NOT NULL DEFAULT 0,
    positive  bigint  NOT NULL DEFAULT 0,
    neutral   bigint  NOT NULL DEFAULT 0,
    negative  bigint  NOT NULL DEFAULT 0,
    net_sum   numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (day, source)
);

CREATE TABLE coin_daily_rollup (
    day       date    NOT NULL,
    coin      text    NOT NULL,
    titles    bigint  NOT NULL DEFAULT 0,
    labelled  bigint  NOT NULL DEFAULT 0,
    positive  bigint  NOT NULL DEFAULT 0,
    neutral   bigint  NOT NULL DEFAULT 0,
    negative  bigint  NOT NULL DEFAULT 0,
    net_sum   numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (day, coin)
);

-- What one title adds to its day (NULL: nothing, undated or sponsored).
CREATE FUNCTION rollup_net(scores jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT (COALESCE((scores ->> 'positive')::double precision, 0)
            - COALESCE((scores ->> 'negative')::double precision, 0))::numeric
$$;

-- Signed contributions, applied in the order of the days (and coins), so that two transactions
-- lock rollup rows in the same order (no deadlock); a change that moves no count (a label
-- claim, a lease given back) touches no rollup row.
CREATE FUNCTION rollup_titles_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_rollup AS r
        (day, source, titles, labelled, positive, neutral, negative, net_sum)
    SELECT (d.published_at AT TIME ZONE 'UTC')::date, d.source, sum(d.sign),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment IS NOT NULL), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'positive'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'neutral'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'negative'), 0),
           COALESCE(sum(d.sign * rollup_net(d.sentiment_scores))
                    FILTER (WHERE d.sentiment IS NOT NULL), 0)
    FROM (SELECT 1 AS sign, id, published_at, sponsored, sentiment, sentiment_scores, source FROM new_rows) AS d
    WHERE d.published_at IS NOT NULL AND NOT d.sponsored
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, source) DO UPDATE SET
        titles = r.titles + EXCLUDED.titles, labelled = r.labelled + EXCLUDED.labelled,
        positive = r.positive + EXCLUDED.positive, neutral = r.neutral + EXCLUDED.neutral,
        negative = r.negative + EXCLUDED.negative, net_sum = r.net_sum + EXCLUDED.net_sum;
    RETURN NULL;  -- a new title has no coin tags yet: they come next (rollup_tags)
END $$;

CREATE FUNCTION rollup_titles_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_rollup AS r
        (day, source, titles, labelled, positive, neutral, negative, net_sum)
    SELECT (d.published_at AT TIME ZONE 'UTC')::date, d.source, sum(d.sign),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment IS NOT NULL), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'positive'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'neutral'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'negative'), 0),
           COALESCE(sum(d.sign * rollup_net(d.sentiment_scores))
                    FILTER (WHERE d.sentiment IS NOT NULL), 0)
    FROM (SELECT -1 AS sign, o.id, o.published_at, o.sponsored, o.sentiment, o.sentiment_scores, o.source FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id WHERE (o.published_at, o.sponsored, o.sentiment, o.sentiment_scores, o.source) IS DISTINCT FROM (n.published_at, n.sponsored, n.sentiment, n.sentiment_scores, n.source)
          UNION ALL SELECT 1, n.id, n.published_at, n.sponsored, n.sentiment, n.sentiment_scores, n.source FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id WHERE (o.published_at, o.sponsored, o.sentiment, o.sentiment_scores, o.source) IS DISTINCT FROM (n.published_at, n.sponsored, n.sentiment, n.sentiment_scores, n.source)) AS d
    WHERE d.published_at IS NOT NULL AND NOT d.sponsored
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, source) DO UPDATE SET
        titles = r.titles + EXCLUDED.titles, labelled = r.labelled + EXCLUDED.labelled,
        positive = r.positive + EXCLUDED.positive, neutral = r.neutral + EXCLUDED.neutral,
        negative = r.negative + EXCLUDED.negative, net_sum = r.net_sum + EXCLUDED.net_sum;
    INSERT INTO coin_daily_rollup AS r
        (day, coin, titles, labelled, positive, neutral, negative, net_sum)
    SELECT (d.published_at AT TIME ZONE 'UTC')::date, d.coin, sum(d.sign),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment IS NOT NULL), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'positive'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'neutral'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'negative'), 0),
           COALESCE(sum(d.sign * rollup_net(d.sentiment_scores))
                    FILTER (WHERE d.sentiment IS NOT NULL), 0)
    FROM (SELECT x.sign, c.coin, x.published_at, x.sponsored, x.sentiment, x.sentiment_scores, x.source FROM (SELECT -1 AS sign, o.id, o.published_at, o.sponsored, o.sentiment, o.sentiment_scores, o.source FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id WHERE (o.published_at, o.sponsored, o.sentiment, o.sentiment_scores, o.source) IS DISTINCT FROM (n.published_at, n.sponsored, n.sentiment, n.sentiment_scores, n.source)
          UNION ALL SELECT 1, n.id, n.published_at, n.sponsored, n.sentiment, n.sentiment_scores, n.source FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id WHERE (o.published_at, o.sponsored, o.sentiment, o.sentiment_scores, o.source) IS DISTINCT FROM (n.published_at, n.sponsored, n.sentiment, n.sentiment_scores, n.source)) AS x JOIN title_coins AS c ON c.title_id = x.id) AS d
    WHERE d.published_at IS NOT NULL AND NOT d.sponsored
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, coin) DO UPDATE SET
        titles = r.titles + EXCLUDED.titles, labelled = r.labelled + EXCLUDED.labelled,
        positive = r.positive + EXCLUDED.positive, neutral = r.neutral + EXCLUDED.neutral,
        negative = r.negative + EXCLUDED.negative, net_sum = r.net_sum + EXCLUDED.net_sum;
    RETURN NULL;
END $$;

CREATE FUNCTION rollup_titles_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_rollup AS r
        (day, source, titles, labelled, positive, neutral, negative, net_sum)
    SELECT (d.published_at AT TIME ZONE 'UTC')::date, d.source, sum(d.sign),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment IS NOT NULL), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'positive'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'neutral'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'negative'), 0),
           COALESCE(sum(d.sign * rollup_net(d.sentiment_scores))
                    FILTER (WHERE d.sentiment IS NOT NULL), 0)
    FROM (SELECT -1 AS sign, id, published_at, sponsored, sentiment, sentiment_scores, source FROM old_rows) AS d
    WHERE d.published_at IS NOT NULL AND NOT d.sponsored
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, source) DO UPDATE SET
        titles = r.titles + EXCLUDED.titles, labelled = r.labelled + EXCLUDED.labelled,
        positive = r.positive + EXCLUDED.positive, neutral = r.neutral + EXCLUDED.neutral,
        negative = r.negative + EXCLUDED.negative, net_sum = r.net_sum + EXCLUDED.net_sum;
    RETURN NULL;
END $$;

-- A deleted title takes its coins' contributions with it while its tags are still there (the
-- cascade removes the tags afterwards and finds no title left to take away twice).
CREATE FUNCTION rollup_title_deleted_coins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO coin_daily_rollup AS r
        (day, coin, titles, labelled, positive, neutral, negative, net_sum)
    SELECT (d.published_at AT TIME ZONE 'UTC')::date, d.coin, sum(d.sign),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment IS NOT NULL), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'positive'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'neutral'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'negative'), 0),
           COALESCE(sum(d.sign * rollup_net(d.sentiment_scores))
                    FILTER (WHERE d.sentiment IS NOT NULL), 0)
    FROM (SELECT -1 AS sign, c.coin, OLD.published_at, OLD.sponsored, OLD.sentiment, OLD.sentiment_scores, OLD.source FROM title_coins AS c WHERE c.title_id = OLD.id) AS d
    WHERE d.published_at IS NOT NULL AND NOT d.sponsored
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, coin) DO UPDATE SET
        titles = r.titles + EXCLUDED.titles, labelled = r.labelled + EXCLUDED.labelled,
        positive = r.positive + EXCLUDED.positive, neutral = r.neutral + EXCLUDED.neutral,
        negative = r.negative + EXCLUDED.negative, net_sum = r.net_sum + EXCLUDED.net_sum;
    RETURN OLD;
END $$;

CREATE FUNCTION rollup_tags_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO coin_daily_rollup AS r
        (day, coin, titles, labelled, positive, neutral, negative, net_sum)
    SELECT (d.published_at AT TIME ZONE 'UTC')::date, d.coin, sum(d.sign),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment IS NOT NULL), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'positive'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'neutral'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'negative'), 0),
           COALESCE(sum(d.sign * rollup_net(d.sentiment_scores))
                    FILTER (WHERE d.sentiment IS NOT NULL), 0)
    FROM (SELECT 1 AS sign, c.coin, t.published_at, t.sponsored, t.sentiment, t.sentiment_scores, t.source FROM new_rows AS c JOIN titles AS t ON t.id = c.title_id) AS d
    WHERE d.published_at IS NOT NULL AND NOT d.sponsored
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, coin) DO UPDATE SET
        titles = r.titles + EXCLUDED.titles, labelled = r.labelled + EXCLUDED.labelled,
        positive = r.positive + EXCLUDED.positive, neutral = r.neutral + EXCLUDED.neutral,
        negative = r.negative + EXCLUDED.negative, net_sum = r.net_sum + EXCLUDED.net_sum;
    RETURN NULL;
END $$;

CREATE FUNCTION rollup_tags_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO coin_daily_rollup AS r
        (day, coin, titles, labelled, positive, neutral, negative, net_sum)
    SELECT (d.published_at AT TIME ZONE 'UTC')::date, d.coin, sum(d.sign),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment IS NOT NULL), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'positive'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'neutral'), 0),
           COALESCE(sum(d.sign) FILTER (WHERE d.sentiment = 'negative'), 0),
           COALESCE(sum(d.sign * rollup_net(d.sentiment_scores))
                    FILTER (WHERE d.sentiment IS NOT NULL), 0)
    FROM (SELECT -1 AS sign, c.coin, t.published_at, t.sponsored, t.sentiment, t.sentiment_scores, t.source FROM old_rows AS c JOIN titles AS t ON t.id = c.title_id) AS d
    WHERE d.published_at IS NOT NULL AND NOT d.sponsored
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, coin) DO UPDATE SET
        titles = r.titles + EXCLUDED.titles, labelled = r.labelled + EXCLUDED.labelled,
        positive = r.positive + EXCLUDED.positive, neutral = r.neutral + EXCLUDED.neutral,
        negative = r.negative + EXCLUDED.negative, net_sum = r.net_sum + EXCLUDED.net_sum;
    RETURN NULL;
END $$;

CREATE TRIGGER titles_rollup_insert AFTER INSERT ON titles
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_titles_inserted();
CREATE TRIGGER titles_rollup_update AFTER UPDATE ON titles
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_titles_updated();
CREATE TRIGGER titles_rollup_delete AFTER DELETE ON titles
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_titles_deleted();
CREATE TRIGGER titles_rollup_delete_coins BEFORE DELETE ON titles
    FOR EACH ROW EXECUTE FUNCTION rollup_title_deleted_coins();
CREATE TRIGGER title_coins_rollup_insert AFTER INSERT ON title_coins
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_tags_inserted();
CREATE TRIGGER title_coins_rollup_delete AFTER DELETE ON title_coins
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_tags_deleted();

-- What is stored already.
INSERT INTO daily_rollup (day, source, titles, labelled, positive, neutral, negative, net_sum)
SELECT (published_at AT TIME ZONE 'UTC')::date, source, count(*), count(sentiment),
       count(*) FILTER (WHERE sentiment = 'positive'), count(*) FILTER (WHERE sentiment = 'neutral'),
       count(*) FILTER (WHERE sentiment = 'negative'),
       COALESCE(sum(rollup_net(sentiment_scores)) FILTER (WHERE sentiment IS NOT NULL), 0)
FROM titles WHERE published_at IS NOT NULL AND NOT sponsored GROUP BY 1, 2;

INSERT INTO coin_daily_rollup (day, coin, titles, labelled, positive, neutral, negative, net_sum)
SELECT (t.published_at AT TIME ZONE 'UTC')::date, c.coin, count(*), count(t.sentiment),
       count(*) FILTER (WHERE t.sentiment = 'positive'),
       count(*) FILTER (WHERE t.sentiment = 'neutral'),
       count(*) FILTER (WHERE t.sentiment = 'negative'),
       COALESCE(sum(rollup_net(t.sentiment_scores)) FILTER (WHERE t.sentiment IS NOT NULL), 0)
FROM title_coins AS c JOIN titles AS t ON t.id = c.title_id
WHERE t.published_at IS NOT NULL AND NOT t.sponsored GROUP BY 1, 2;

-- The views, read from the rollups: the same columns, the same numbers.
CREATE OR REPLACE VIEW daily_sentiment AS
SELECT day, sum(titles)::bigint AS titles, sum(labelled)::bigint AS labelled,
       sum(positive)::bigint AS positive, sum(neutral)::bigint AS neutral,
       sum(negative)::bigint AS negative, sum(titles - labelled)::bigint AS unlabelled,
       round(sum(positive) / NULLIF(sum(labelled), 0), 4)  AS positive_share,
       round(sum(neutral) / NULLIF(sum(labelled), 0), 4)   AS neutral_share,
       round(sum(negative) / NULLIF(sum(labelled), 0), 4)  AS negative_share,
       round(sum(net_sum) / NULLIF(sum(labelled), 0), 4)   AS net_score
FROM daily_rollup GROUP BY day HAVING sum(titles) > 0;

-- The same per source (U.Today, or a feed's short name).
CREATE VIEW source_daily_sentiment AS
SELECT day, source, titles, labelled, positive, neutral, negative, titles - labelled AS unlabelled,
       round(positive::numeric / NULLIF(labelled, 0), 4)  AS positive_share,
       round(neutral::numeric / NULLIF(labelled, 0), 4)   AS neutral_share,
       round(negative::numeric / NULLIF(labelled, 0), 4)  AS negative_share,
       round(net_sum / NULLIF(labelled, 0), 4)            AS net_score
FROM daily_rollup WHERE titles > 0;

CREATE OR REPLACE VIEW coin_daily_sentiment AS
SELECT day, coin, titles, labelled, positive, neutral, negative,
       round(positive::numeric / NULLIF(labelled, 0), 4)  AS positive_share,
       round(neutral::numeric / NULLIF(labelled, 0), 4)   AS neutral_share,
       round(negative::numeric / NULLIF(labelled, 0), 4)  AS negative_share,
       round(net_sum / NULLIF(labelled, 0), 4)            AS net_score
FROM coin_daily_rollup WHERE titles > 0;
