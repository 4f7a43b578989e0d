"""PostgreSQL: `connection` (open, check, translate errors), `titles` (headlines, label claims,
the scrape watermark), `analysts` (read-only queries, the daily report), `migrate` (the schema)."""
