-- Ground truth: people's judgements of a title's sentiment, one per title per judge (a re-import
-- updates it), to measure whether the model's labels are right (`utoday-sentiment evaluate`).
CREATE TABLE judgements (
    title_id   bigint      NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
    judge      text        NOT NULL CHECK (btrim(judge) <> ''),
    label      text        NOT NULL CHECK (label IN ('positive', 'neutral', 'negative')),
    judged_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (title_id, judge)
);

-- Per model: how many judged titles it labelled, and how many of those labels agree with the
-- judgement (every judge's judgement counts once). Macro-F1 and the intervals are left to
-- `utoday-sentiment evaluate report`.
CREATE VIEW model_quality AS
SELECT t.sentiment_model                                              AS model,
       count(DISTINCT t.id)                                           AS judged_titles,
       count(*)                                                       AS judgements,
       round(avg((t.sentiment = j.label)::int)::numeric, 4)           AS accuracy
FROM judgements AS j
JOIN titles AS t ON t.id = j.title_id
WHERE t.sentiment IS NOT NULL
GROUP BY t.sentiment_model;
