"""Parser fuzzing: mutated real-layout pages and generated markup. The parser's documented
contract is that it never raises for any text or bytes; every title it returns is non-empty,
clean text, and its URL is canonical and on the configured host."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakes import articles, fixture, listing_page
from utoday_sentiment.records import ParsedPage
from utoday_sentiment.sources.utoday.parse import parse_listing, parse_rss

SITE = "https://u.today"
PAGE = "https://u.today/latest-cryptocurrency-news?page=3"


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


BASES = [
    fixture("listing_current.html").decode(),
    fixture("listing_legacy.html").decode(),
    listing_page(articles(0, 6)),
    listing_page(articles(6, 4), relative_links=False),
]
SNIPPETS = [
    '<div class="news__item">',
    "</div>",
    '<a class="news__item-body" href="/x">',
    "</a>",
    '<div class="news__item-title">',
    '<div class="humble">Jun 10, 2025 - 10:49</div>',
    '<a class="humble humble--author" href="/u">A\nB</a>',
    '<div class="category-item">',
    '<a class="category-item__title-link" href="https://evil.example/x">',
    "<script>",
    "<!--",
    "-->",
    "<![CDATA[",
    "&amp;",
    "&#0;",
    "&#x1F680;",
    "\x00",
    "\ufeff",
    "href=",
    '"',
    "'",
    "<",
    ">",
    "/",
    "https://u.today/",
    "//u.today//a/?b#c",
    "javascript:alert(1)",
    " - U.Today",
    '<a class="news__item-body" href="https://[::1">',
    '<a class="news__item-body" href="http://u.today:99999/p">',
]


def check(page: ParsedPage) -> None:
    assert (
        page.cards >= page.skipped + len(page.titles)
        or page.layout == "rss"
        or page.cards >= len(page.titles)
    )
    seen = set()
    for title in page.titles:
        assert isinstance(title.title, str) and title.title and title.title == title.title.strip()
        assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in title.title)
        parts = urlsplit(title.url)
        assert parts.scheme == "https" and parts.netloc == "u.today"
        assert not parts.query and not parts.fragment and not title.url.endswith("/")
        assert parts.path.startswith("/") and "//" not in parts.path
        assert title.url not in seen  # one title per article on a page
        seen.add(title.url)
        if title.published_at is not None:
            assert title.published_at.utcoffset().total_seconds() == 0


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 400)))
        op = draw(st.sampled_from(["delete", "insert", "snippet", "duplicate", "truncate"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.text(max_size=40)) + text[i:]
        elif op == "snippet":
            text = text[:i] + draw(st.sampled_from(SNIPPETS)) + text[i:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i]
    return text


@fuzz(600)
@given(mutated(), st.booleans())
def test_mutated_real_pages(document, as_bytes):
    check(
        parse_listing(
            document.encode("utf-8", "surrogatepass") if as_bytes else document, PAGE, SITE
        )
    )


CLASSES = [
    "news__item",
    "news__item-title",
    "news__item-body",
    "news__item-head",
    "humble",
    "humble--author",
    "category-item",
    "category-item__title",
    "category-item__title-link",
    "humble--time",
    "other",
]
HREFS = st.one_of(
    st.sampled_from(
        [
            "/slug",
            "slug",
            "https://u.today/a/",
            "http://www.u.today/b?c=1",
            "//u.today/c",
            "https://u.today.evil.example/d",
            "https://evil.example/e",
            "javascript:x()",
            "mailto:a@u.today",
            "#top",
            "",
            " ",
            "https://[::1",
            "https://u.today:99999/x",
        ]
    ),
    st.text(max_size=30),
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


def element(children):
    @st.composite
    def build(draw):
        tag = draw(st.sampled_from(["div", "a", "span", "p", "img"]))
        classes = " ".join(draw(st.lists(st.sampled_from(CLASSES), max_size=3)))
        href = f' href="{draw(HREFS)}"' if tag == "a" and draw(st.booleans()) else ""
        inner = "".join(draw(st.lists(children, max_size=4)))
        return f'<{tag} class="{classes}"{href}>{inner}</{tag}>'

    return build()


MARKUP = st.recursive(TEXT, element, max_leaves=25)


@fuzz(500)
@given(st.lists(MARKUP, max_size=6))
def test_generated_markup(parts):
    check(parse_listing("<html><body>" + "".join(parts) + "</body></html>", PAGE, SITE))


@st.composite
def card_pages(draw) -> str:
    """Cards of the real layouts with random values in every field."""
    cards = []
    for _ in range(draw(st.integers(1, 5))):
        title, date, author = (
            draw(TEXT),
            draw(
                st.one_of(
                    TEXT,
                    st.sampled_from(
                        [
                            "Jun 10, 2025 - 10:49",
                            "Feb 30, 2026 - 25:61",
                            "06/17/2021 - 13:21",
                            "Sept. 9, 2026 - 7:05",
                        ]
                    ),
                )
            ),
            draw(TEXT),
        )
        href = draw(HREFS).replace('"', "&quot;")
        if draw(st.booleans()):
            cards.append(
                f'<div class="news__item"><div class="news__item-head"><a href="/c">{draw(TEXT)}</a>'
                f'<div class="humble">{date}</div></div><a class="news__item-body" href="{href}">'
                f'<div class="news__item-title">{title}</div></a>'
                f'<a class="humble humble--author" href="/u">{author}</a></div>'
            )
        else:
            cards.append(
                f'<div class="category-item"><a class="category-item__title-link" href="{href}">'
                f'<div class="category-item__title">{title}</div></a><div class="humble--time">{date}</div></div>'
            )
    return "<html><body><main>" + "".join(cards) + "</main></body></html>"


@fuzz(300)
@given(card_pages())
def test_cards_with_random_fields(document):
    check(parse_listing(document, PAGE, SITE))


@fuzz(200)
@given(st.one_of(st.binary(max_size=300), mutated(), st.text(max_size=300)))
def test_any_input_to_either_parser(document):
    check(parse_listing(document, PAGE, SITE))
    check(parse_rss(document, SITE + "/rss", SITE))
