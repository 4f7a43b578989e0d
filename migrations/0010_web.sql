-- For `utoday-sentiment serve`: the headline search pages newest first by keyset, over titles
-- that are not sponsored; titles without a publication time sort last. (The judging path's role,
-- utoday_judge, is created and granted on every migrate, as utoday_analyst is.)
CREATE INDEX titles_browse_idx
    ON titles ((COALESCE(published_at, '-infinity'::timestamptz)) DESC, id DESC)
    WHERE NOT sponsored;
