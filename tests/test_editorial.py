"""What the editors wrote is said to be theirs: headlines, summaries, notes on when and where an op-ed
first appeared; dates are never invented (the feed's times); a photo credit needs a photo; chapters and
the op-eds they cite agree; site.yaml's contact reaches the pages that ask for it."""

from __future__ import annotations

import datetime
import gettext
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIRST_ARTICLE, SECOND_ARTICLE, SITE_YAML, picture, run

from manifesto.model import Article, is_present_tense
from manifesto.parse import best_by_content_words, contact_missing, passage_hint, passage_texts
from manifesto.render import first_appeared

ATOM = "{http://www.w3.org/2005/Atom}"

EDITORS_ARTICLE = SECOND_ARTICLE.replace(
    "summary: A second op-ed in the same chapter.\n",
    "summary: A second op-ed in the same chapter.\nheadline_by: editors\nsummary_by: editors\n"
    "bio: Ben Sample is a councillor in Anytown.\noutlet: The Local Paper\nperiod: early 2016\n"
    "context: Written before the 2016 mayoral elections.\n",
)


def structured_data(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_a_headline_and_summary_by_the_editors_are_said_to_be_theirs(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/articles/second-op-ed.md": EDITORS_ARTICLE})
    assert run(root) == 0
    page = (root / "_site/articles/second-op-ed/index.html").read_text()
    assert '<p class="editors-mark">Headline by the editors</p>' in page
    assert '<p class="lead"><span class="editors-mark">Editors’ summary:</span> A second op-ed' in page
    data = structured_data(page)
    assert "headline" not in data and data["name"] == "A second voice"  # not given as the author's headline
    manifesto = (root / "_site/manifesto/index.html").read_text()
    assert manifesto.count("Headline by the editors") == 1
    feed = ElementTree.parse(root / "_site/feed.xml").getroot()
    summaries = [entry.findtext(f"{ATOM}summary") for entry in feed.findall(f"{ATOM}entry")]
    assert "Editors’ summary: A second op-ed in the same chapter." in summaries
    # An op-ed whose headline is its author's keeps it as the headline, with no note.
    own = (root / "_site/articles/first-op-ed/index.html").read_text()
    assert structured_data(own)["headline"] == "Councils are the last line of defence"
    assert "Headline by the editors" not in own and "Editors’ summary" not in own


def test_where_and_when_an_op_ed_first_appeared_is_the_editors_note(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/articles/second-op-ed.md": EDITORS_ARTICLE})
    assert run(root) == 0
    note = (
        '<p class="provenance"><strong>Editors’ note:</strong> First published in The Local Paper, in early '
        "2016. Written before the 2016 mayoral elections.</p>"
    )
    for page in ("articles/second-op-ed/index.html", "manifesto/index.html"):
        assert note in (root / "_site" / page).read_text(), page
    bio = '<span class="editors-mark">At the time of writing:</span> Ben Sample is a councillor in Anytown.'
    assert bio in (root / "_site/articles/second-op-ed/index.html").read_text()
    assert bio in (root / "_site/manifesto/index.html").read_text()
    assert bio in (root / "_site/authors/ben-sample/index.html").read_text()


def test_a_bio_is_marked_only_when_the_time_of_writing_is_known(make_site: Callable[..., Path]) -> None:
    undated = EDITORS_ARTICLE.replace("period: early 2016\n", "")
    root = make_site({"content/articles/second-op-ed.md": undated})
    assert run(root) == 0
    page = (root / "_site/articles/second-op-ed/index.html").read_text()
    assert "At the time of writing" not in page
    assert "First published in The Local Paper (undated)." in page
    # The first op-ed has a date and a bio in the present tense.
    first = (root / "_site/articles/first-op-ed/index.html").read_text()
    assert "At the time of writing:</span> Ann Example is a councillor in Anytown." in first


@pytest.mark.parametrize(
    ("bio", "present"),
    [
        ("Jo Bloggs is a councillor in Anytown.", True),
        ("She tweets @jo", True),
        ("Jo Bloggs leads the council.", True),
        ("Jo Bloggs was a councillor in Anytown.", False),
        ("Former leader of Anytown council.", False),
        ("", False),
    ],
)
def test_a_bio_in_the_present_tense_is_recognised(bio: str, present: bool) -> None:
    assert is_present_tense(bio) == present


def article(**fields: object) -> Article:
    from markupsafe import Markup

    values: dict[str, object] = {
        "slug": "a",
        "title": "T",
        "author": "A",
        "author_slug": "a",
        "bio": "",
        "social": (),
        "date": None,
        "chapter": "c",
        "chapters": (),
        "summary": "S",
        "photo_credit": "",
        "draft": False,
        "order": 0,
        "body_html": Markup("<p>x</p>"),
        "anchors": frozenset(),
        "word_count": 1,
        "manifesto_marks": (),
        "source_path": Path("content/articles/a.md"),
    }
    return Article(**{**values, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"outlet": "LabourList", "period": "early 2018"}, "First published in LabourList, in early 2018."),
        (
            {"outlet": "LabourList", "date": datetime.date(2020, 1, 24)},
            "First published in LabourList, on 24 January 2020.",
        ),
        ({"outlet": "LabourList"}, "First published in LabourList (undated)."),
        ({"period": "2016 or early 2017"}, "Written in 2016 or early 2017."),
        ({"date": datetime.date(2020, 1, 24)}, "First published on 24 January 2020."),
        ({}, "Undated."),
    ],
)
def test_first_appeared_says_only_what_is_known(fields: dict[str, object], text: str) -> None:
    assert first_appeared(article(**fields), "en-GB", gettext.NullTranslations()) == text


# --- The feed's times: never invented ----------------------------------------------------------------------


def feed_times(root: Path) -> dict[str, str]:
    """Each entry's updated time by its title, and the feed's own under ''."""
    feed = ElementTree.parse(root / "_site/feed.xml").getroot()
    times = {
        entry.findtext(f"{ATOM}title") or "": entry.findtext(f"{ATOM}updated") or ""
        for entry in feed.findall(f"{ATOM}entry")
    }
    return {**times, "": feed.findtext(f"{ATOM}updated") or ""}


def git(root: Path, *args: str, when: str = "2021-03-04T05:06:07+00:00") -> None:
    environment = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "Editor",
        "GIT_AUTHOR_EMAIL": "editor@example.org",
        "GIT_COMMITTER_NAME": "Editor",
        "GIT_COMMITTER_EMAIL": "editor@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=environment)


def test_an_undated_op_ed_is_updated_when_its_file_was_last_committed(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1580040000")  # git's time comes first
    root = make_site()
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    (root / "content/articles/second-op-ed.md").write_text(SECOND_ARTICLE + "\nMore.\n")
    git(root, "commit", "-q", "-am", "second", when="2022-05-06T07:08:09+00:00")
    assert run(root) == 0
    times = feed_times(root)
    assert times["A second voice"] == "2022-05-06T07:08:09Z"  # its own last commit
    assert times["Councils are the last line of defence"] == "2020-01-24T00:00:00Z"  # its date
    assert times[""] == "2022-05-06T07:08:09Z"  # the newest entry's
    # The same commit gives the same feed, whenever it is built; a new commit changes it, cache or not.
    (root / "content/articles/second-op-ed.md").write_text(SECOND_ARTICLE + "\nMore, again.\n")
    git(root, "commit", "-q", "-am", "third", when="2023-01-02T03:04:05+00:00")
    assert run(root) == 0
    assert feed_times(root)["A second voice"] == "2023-01-02T03:04:05Z"
    assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
    assert (tmp_path / "clean/feed.xml").read_bytes() == (root / "_site/feed.xml").read_bytes()


def test_without_git_an_undated_op_ed_is_updated_at_source_date_epoch(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1580040000")
    root = make_site()  # in tmp_path: no git history
    assert run(root) == 0
    times = feed_times(root)
    assert times["A second voice"] == "2020-01-26T12:00:00Z"
    assert times[""] == "2020-01-26T12:00:00Z"


def test_without_git_or_source_date_epoch_the_file_time_is_used_never_1970(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = make_site({"content/articles/first-op-ed.md": FIRST_ARTICLE.replace("date: 2020-01-24\n", "")})
    for name, seconds in (("first-op-ed", 1_600_000_000), ("second-op-ed", 1_500_000_000)):
        os.utime(root / f"content/articles/{name}.md", (seconds, seconds))
    assert run(root) == 0
    times = feed_times(root)
    assert times == {
        "Councils are the last line of defence": "2020-09-13T12:26:40Z",
        "A second voice": "2017-07-14T02:40:00Z",
        "": "2020-09-13T12:26:40Z",
    }
    assert "1970" not in (root / "_site/feed.xml").read_text()


# --- Warnings: a photo credit without a photo, a chapter citing an op-ed not filed under it --------------


def test_a_photo_credit_without_a_photo_is_a_warning_and_not_shown(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    credited = SECOND_ARTICLE.replace("summary: A second", "photo_credit: purplemattfish\nsummary: A second")
    root = make_site({"content/articles/second-op-ed.md": credited})
    assert run(root) == 0
    err = capsys.readouterr().err
    assert (
        "content/articles/second-op-ed.md:5: warning: this op-ed has a photo_credit but no photo, "
        "so the credit is not shown"
    ) in err
    assert "purplemattfish" not in (root / "_site/articles/second-op-ed/index.html").read_text()
    with_photo = credited + "\n![Councillors at a meeting](../images/meeting.png)\n"
    (root / "content/articles/second-op-ed.md").write_text(with_photo)
    (root / "content/images").mkdir()
    (root / "content/images/meeting.png").write_bytes(picture("PNG"))
    assert run(root) == 0
    assert "warning" not in capsys.readouterr().err
    assert (
        '<p class="credit">Photo: purplemattfish</p>'
        in (root / "_site/articles/second-op-ed/index.html").read_text()
    )


CITING_CHAPTER = """\
---
title: Local power
order: 2
summary: Decisions belong close to the people they affect.
proposals:
  - text: Fund councils.
    source: "second-op-ed#a-second-voice-joins-the-argument"
---

Power should sit where the knowledge is, as [Ann Example argues](../articles/first-op-ed.md).
"""


def test_a_chapter_citing_an_op_ed_filed_elsewhere_is_reported_and_lists_it(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site({"content/chapters/local-power.md": CITING_CHAPTER})
    assert run(root, "check") == 0
    err = capsys.readouterr().err
    assert (
        "content/chapters/local-power.md:6: warning: this chapter cites the op-ed 'second-op-ed', "
        "which is not filed under it\n  hint: add 'local-power' to its  chapters: [...]"
    ) in err
    assert "local-power.md:10" not in err  # the first op-ed lists local-power in its chapters
    assert run(root) == 0
    page = (root / "_site/chapters/local-power/index.html").read_text()
    related = page.split('id="related"')[1]
    assert "A second voice" in related and "Councils are the last line of defence" in related
    # Filed under it, it is cited without a warning.
    filed = SECOND_ARTICLE.replace(
        "chapter: fair-funding\n", "chapter: fair-funding\nchapters: [local-power]\n"
    )
    (root / "content/articles/second-op-ed.md").write_text(filed)
    capsys.readouterr()
    assert run(root, "check") == 0
    assert "cites the op-ed" not in capsys.readouterr().err


def test_an_intro_link_to_an_op_ed_filed_elsewhere_is_reported_with_its_line(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    first = FIRST_ARTICLE.replace("chapters: [local-power]\n", "")
    root = make_site(
        {"content/chapters/local-power.md": CITING_CHAPTER, "content/articles/first-op-ed.md": first}
    )
    assert run(root, "check") == 0
    assert (
        "content/chapters/local-power.md:10: warning: this chapter cites the op-ed 'first-op-ed'"
        in capsys.readouterr().err
    )


# --- Passage ids: a mistyped id's hint ----------------------------------------------------------------------

BODY = (
    '<p id="councils-are-the-last-line-of">Councils are the last line of defence, and that line is thinning.</p>\n'
    '<h2 id="what-has-changed">What has changed</h2>\n'
    '<p id="it-s-been-a-decade-of">It’s been a decade of cuts to the <em>core</em> grant.</p>\n'
)


def test_passage_texts_are_read_from_the_converted_body() -> None:
    texts = passage_texts(BODY)
    assert list(texts) == ["councils-are-the-last-line-of", "what-has-changed", "it-s-been-a-decade-of"]
    assert "core" in texts["it-s-been-a-decade-of"]


@pytest.mark.parametrize(
    ("anchor", "hint"),
    [
        ("councils-are-the-last-lin-of", "did you mean '#councils-are-the-last-line-of'?"),  # a typo
        ("decade-of-cuts-core-grant", "did you mean '#it-s-been-a-decade-of'?"),  # words of the passage
        ("line-thinning", "did you mean '#councils-are-the-last-line-of'?"),
        ("zzz", "open the op-ed page to find the paragraph's id"),
    ],
)
def test_a_mistyped_passage_id_suggests_the_closest_by_content_words(anchor: str, hint: str) -> None:
    texts = passage_texts(BODY)
    assert passage_hint(anchor, frozenset(texts), texts) == hint


def test_content_words_ignore_the_commonest_words() -> None:
    texts = {"a": "the and of it", "b": "grant funding cuts"}
    assert best_by_content_words("the-and-of", texts) == ""
    assert best_by_content_words("funding-grant", texts) == "b"


# --- Contact -----------------------------------------------------------------------------------------------

WITHOUT_CONTACT = SITE_YAML.replace("contact: editors@councils-first.org.uk\n", "")

CONTACT_PAGE = """\
---
title: How to contribute
show_contact: true
---

Send us your op-ed.
"""


@pytest.mark.parametrize(
    ("contact", "shown"),
    [
        (
            "editors@example.org",
            '<p>Write to the editors at <a href="mailto:editors@example.org">editors@example.org</a>.</p>',
        ),
        (
            "https://example.org/form",
            '<p>Write to the editors through <a href="https://example.org/form">our contact form</a>'
            " (https://example.org/form).</p>",
        ),
        (None, "<p>Write to the promoter named at the foot of every page.</p>"),
    ],
)
def test_a_page_that_asks_for_the_contact_ends_with_it(
    make_site: Callable[..., Path], contact: str | None, shown: str
) -> None:
    site_yaml = WITHOUT_CONTACT + (f"contact: {contact}\n" if contact else "")
    root = make_site({"site.yaml": site_yaml, "content/pages/contribute.md": CONTACT_PAGE})
    assert run(root) == 0
    assert shown in (root / "_site/contribute/index.html").read_text()
    assert 'id="contact"' not in (root / "_site/about/index.html").read_text()


def test_check_warns_while_the_contact_is_missing_and_publishing_stops(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site({"site.yaml": WITHOUT_CONTACT})
    assert run(root, "check") == 0
    assert (
        "site.yaml: warning: no 'contact': readers cannot tell how to reach the editors"
        in capsys.readouterr().err
    )
    assert run(root, "check", "--publish") == 1
    assert "site.yaml: no 'contact'" in capsys.readouterr().err
    (root / "site.yaml").write_text(WITHOUT_CONTACT + "contact: editors@example.org\n")
    assert run(root, "check", "--publish") == 1
    assert "site.yaml:17: 'contact' is an example address that reaches no one" in capsys.readouterr().err
    (root / "site.yaml").write_text(SITE_YAML)
    assert run(root, "check", "--publish") == 0
    assert "contact" not in capsys.readouterr().err


def test_contact_missing_says_whether_site_yaml_has_one(make_site: Callable[..., Path]) -> None:
    from manifesto.load import load_sources
    from manifesto.parse import parse_site

    root = make_site({"site.yaml": WITHOUT_CONTACT})
    assert contact_missing(parse_site(load_sources(root)).config)
    for placeholder in ("editors@example.org", "https://example.com/form", "a@mail.example"):
        (root / "site.yaml").write_text(WITHOUT_CONTACT + f"contact: {placeholder}\n")
        assert contact_missing(parse_site(load_sources(root)).config), placeholder
    (root / "site.yaml").write_text(WITHOUT_CONTACT + "contact: https://forms.councils-first.org.uk/write\n")
    assert not contact_missing(parse_site(load_sources(root)).config)


def test_chapter_introductions_opening_alike_have_unique_ids_on_the_manifesto(
    make_site: Callable[..., Path],
) -> None:
    alike = "---\ntitle: {title}\norder: {order}\nsummary: S.\n---\n\nThe proposals below are the editors’ reading.\n"
    root = make_site(
        {
            "content/chapters/fair-funding.md": alike.format(title="Fair funding", order=1),
            "content/chapters/local-power.md": alike.format(title="Local power", order=2),
        }
    )
    assert run(root) == 0
    ids = re.findall(r' id="([^"]+)"', (root / "_site/manifesto/index.html").read_text())
    assert len(ids) == len(set(ids))
    assert "chapter-local-power--the-proposals-below-are-the-editors" in ids
