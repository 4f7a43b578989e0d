-- One row per U.Today article, stored once: the URL is the article's identity.
CREATE TABLE titles (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url          text        NOT NULL UNIQUE,
    title        text        NOT NULL,
    published_at timestamptz,
    author       text,
    category     text,
    scraped_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT titles_title_not_blank CHECK (btrim(title) <> ''),
    CONSTRAINT titles_url_is_https CHECK (url LIKE 'https://%')
);

-- "What came in this week?" and the daily views sort and filter by publication time.
CREATE INDEX titles_published_at_idx ON titles (published_at DESC NULLS LAST);
