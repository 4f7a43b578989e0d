"""README.md and docs/: every relative link reaches a file, every #anchor a heading of it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _without_code(text: str) -> str:
    """The text outside fenced blocks and inline code (a link there is an example, not a link)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(path: Path) -> set[str]:
    """The #fragments GitHub makes for the headings of a Markdown file."""
    found: set[str] = set()
    for line in _without_code(path.read_text()).splitlines():
        match = re.match(r"#{1,6}\s+(.*)", line)
        if match:
            heading = re.sub(r"[`*_]", "", match.group(1)).strip().lower()
            slug = re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")
            base, n = slug, 1
            while slug in found:
                slug, n = f"{base}-{n}", n + 1
            found.add(slug)
    return found


def broken_links(files: list[Path]) -> list[str]:
    broken = []
    for source in files:
        for target in LINK.findall(_without_code(source.read_text())):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                continue
            path, _, fragment = target.partition("#")
            resolved = (source.parent / path).resolve() if path else source
            where = f"{source.relative_to(source.parents[1] if source.parent.name == 'docs' else source.parent)}"
            if not resolved.exists():
                broken.append(f"{where}: {target} (no such file)")
            elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
                broken.append(f"{where}: {target} (no such heading)")
    return broken


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_every_relative_link_and_anchor_resolves():
    assert broken_links(documents()) == []


def test_the_readme_fits_on_a_screen_with_a_picture_and_the_quick_start_first():
    readme = (ROOT / "README.md").read_text().splitlines()
    assert len(readme) <= 200
    first_screen = "\n".join(readme[:50])
    assert "![" in first_screen and "## Quick start" in first_screen
    assert 'pip install -e ".[dev]" && pytest' in "\n".join(readme)  # the line .ci/run runs


def test_a_broken_link_or_anchor_is_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# Top\n\nSee [ops](docs/ops.md#deploy-on-aws), [gone](docs/gone.md) and "
        "[bad anchor](docs/ops.md#nowhere). `[code](docs/nope.md)` is an example.\n"
    )
    (tmp_path / "docs" / "ops.md").write_text("# Ops\n\n## Deploy on AWS\n\nBack to [top](../README.md#top).\n")
    assert broken_links([tmp_path / "README.md", tmp_path / "docs" / "ops.md"]) == [
        "README.md: docs/gone.md (no such file)",
        "README.md: docs/ops.md#nowhere (no such heading)",
    ]
