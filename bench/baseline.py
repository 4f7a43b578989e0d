"""The naive way, as tutorials write it: the yardstick the project's code is measured against.

- label: every unlabelled row fetched at once, one HTTP request per title (no session), one
  UPDATE and one commit per title;
- parse: BeautifulSoup with Python's html.parser, a find() per field;
- store: one INSERT and one commit per row.
"""

from __future__ import annotations

import requests
from bs4 import BeautifulSoup


def label(conn, url: str, token: str, model: str) -> int:
    cur = conn.cursor()
    cur.execute("SELECT id, title FROM titles WHERE sentiment IS NULL")
    rows = cur.fetchall()
    for row_id, title in rows:
        response = requests.post(
            url, headers={"Authorization": f"Bearer {token}"}, json={"inputs": title}, timeout=30
        )
        result = response.json()
        result = result[0] if isinstance(result[0], list) else result
        best = max(result, key=lambda entry: entry["score"])
        cur.execute(
            "UPDATE titles SET sentiment = %s, sentiment_score = %s, sentiment_model = %s,"
            " labelled_at = now() WHERE id = %s",
            (best["label"], best["score"], model, row_id),
        )
        conn.commit()
    return len(rows)


def parse(html: bytes) -> list[dict]:
    soup = BeautifulSoup(html, "html.parser")
    items = []
    for card in soup.find_all("div", class_="news__item"):
        link = card.find("a", class_="news__item-body")
        title = card.find("div", class_="news__item-title")
        date = card.find("div", class_="humble")
        author = card.find("a", class_="humble--author")
        items.append(
            {
                "title": title.get_text(strip=True) if title else None,
                "url": link["href"] if link else None,
                "date": date.get_text(strip=True) if date else None,
                "author": author.get_text(strip=True) if author else None,
            }
        )
    return items


def store(conn, titles) -> None:
    cur = conn.cursor()
    for t in titles:
        cur.execute(
            "INSERT INTO titles (url, title, published_at, author, category) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (url) DO NOTHING",
            (t.url, t.title, t.published_at, t.author, t.category),
        )
        conn.commit()
