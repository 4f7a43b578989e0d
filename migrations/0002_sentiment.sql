-- The labelling stage: each title's sentiment, how sure the model was, and what went wrong.
ALTER TABLE titles
    ADD COLUMN sentiment        text
        CONSTRAINT titles_sentiment_known CHECK (sentiment IN ('positive', 'neutral', 'negative')),
    ADD COLUMN sentiment_score  double precision
        CONSTRAINT titles_sentiment_score_probability CHECK (sentiment_score BETWEEN 0 AND 1),
    ADD COLUMN sentiment_scores jsonb,
    ADD COLUMN sentiment_model  text,
    ADD COLUMN labelled_at      timestamptz,
    -- Times the API refused this title (HTTP 400); after 3 it is no longer sent.
    ADD COLUMN label_attempts   integer NOT NULL DEFAULT 0,
    ADD COLUMN label_error      text,
    ADD CONSTRAINT titles_labelled_completely CHECK (
        (sentiment IS NULL) = (sentiment_score IS NULL)
        AND (sentiment IS NULL) = (labelled_at IS NULL)
        AND (sentiment IS NULL) = (sentiment_model IS NULL)
    );

-- The labeller claims the newest unlabelled titles first.
CREATE INDEX titles_unlabelled_idx ON titles (published_at DESC NULLS LAST, id DESC)
    WHERE sentiment IS NULL;
