-- How far down the listing everything is known to be stored. A daily scrape may stop at a page
-- with nothing new only once that page reaches this time: after a run that died halfway (its
-- pages stored, the ones below not), the next run walks on until it reconnects, so no headline
-- falls into the gap. Raised only by runs that connected; backfills leave it alone.
CREATE TABLE scrape_watermark (
    id            boolean     PRIMARY KEY DEFAULT true CHECK (id),
    covered_until timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
