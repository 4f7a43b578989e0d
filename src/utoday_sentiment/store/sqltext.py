"""Just enough SQL lexing to tell how many statements a text holds: semicolons inside strings,
quoted identifiers, dollar quotes and comments do not end a statement."""

from __future__ import annotations

import re

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
READ_ONLY_KEYWORDS = ("select", "with", "values", "table", "explain", "show")


def split_statements(text: str) -> list[str]:
    """The statements in `text`, without the ones that hold only whitespace and comments."""
    statements: list[str] = []
    start = i = 0
    meaningful = False
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if ch == "/" and text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            continue
        if ch == ";":
            if meaningful:
                statements.append(text[start:i].strip())
            start, i, meaningful = i + 1, i + 1, False
            continue
        meaningful = meaningful or not ch.isspace()
        if ch in ("'", '"'):
            backslashes = (
                ch == "'"
                and i > 0
                and text[i - 1] in "eE"
                and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            )
            i += 1
            while i < n:
                if backslashes and text[i] == "\\":
                    i += 2
                    continue
                if text[i] == ch:
                    if i + 1 < n and text[i + 1] == ch:  # doubled quote
                        i += 2
                        continue
                    break
                i += 1
            i += 1
            continue
        if ch == "$":
            tag = _DOLLAR_TAG.match(text, i)
            if tag:
                end = text.find(tag.group(0), tag.end())
                i = n if end < 0 else end + len(tag.group(0))
                continue
        i += 1
    if meaningful:
        statements.append(text[start:].strip())
    return statements


def first_keyword(statement: str) -> str:
    """The statement's first word, lower case, after leading comments and parentheses."""
    body = re.sub(r"^(\s+|--[^\n]*\n?|/\*.*?\*/|\()*", "", statement, flags=re.DOTALL)
    match = re.match(r"[A-Za-z]+", body)
    return match.group(0).lower() if match else ""
