-- The market beside the mood: each coin's daily close (finished UTC days only) and the Crypto
-- Fear & Greed Index, as `utoday-sentiment prices fetch` stores them.
CREATE TABLE prices (
    coin        text             NOT NULL,
    day         date             NOT NULL,   -- the UTC day the close ends
    close       double precision NOT NULL CHECK (close > 0),
    volume      double precision,
    source      text             NOT NULL,   -- coingecko, coinbase or binance
    fetched_at  timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (coin, day)
);

CREATE TABLE fear_greed (
    day             date     PRIMARY KEY,
    value           integer  NOT NULL CHECK (value BETWEEN 0 AND 100),
    classification  text     NOT NULL
);

-- Per coin and UTC day: the close, the day's log return (against the previous stored day only
-- when it is the day before: a gap is never bridged), the coin's mood and titles that day, and
-- the Fear & Greed value.
CREATE VIEW coin_daily_market AS
SELECT p.coin, p.day, p.close,
       CASE WHEN lag(p.day) OVER w = p.day - 1 THEN ln(p.close / lag(p.close) OVER w) END
           AS log_return,
       m.net_score, COALESCE(m.titles, 0) AS titles, f.value AS fear_greed
FROM prices AS p
LEFT JOIN coin_daily_sentiment AS m ON m.coin = p.coin AND m.day = p.day
LEFT JOIN fear_greed AS f ON f.day = p.day
WINDOW w AS (PARTITION BY p.coin ORDER BY p.day);
