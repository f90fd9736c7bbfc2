"""The educators' site: `mskg docs` writes it, every internal link resolves, every page carries the notice,
nothing is loaded from outside; `mskg serve` serves the same pages."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli
from mskg.queries.triage.records import DISCLAIMER


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = CliRunner().invoke(cli, ["docs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_docs_writes_every_page(site, graph):
    """One page per labelled resource of the graph (concepts, rules, actions, timeframes, statistics, ...),
    read here with rdflib, not through the site builder; excerpts and sections (ids with a slash) get none."""
    from rdflib import SKOS

    from mskg.ontology.namespaces import ID

    labelled = {str(s)[len(str(ID)):] for s in graph.subjects(SKOS.prefLabel, None) if str(s).startswith(str(ID))}
    expected = {"index.html", "query.html", "hazards.html"} | {f"c/{i}.html" for i in labelled if "/" not in i}
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert pages == expected
    assert "c/rf-elbow-hot-swelling.html" in pages and "c/elbow-injury-review.html" in pages
    assert (site / "style.css").exists() and (site / "site.js").exists()


def test_every_internal_link_resolves_and_nothing_is_loaded_from_outside(site):
    checked = 0
    for page in site.rglob("*.html"):
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https"):
                # only terminology code IRIs, never a script or stylesheet from elsewhere
                assert "snomed.info" in link or "purl.bioontology.org" in link, (page, link)
                continue
            target = (page.parent / parts.path).resolve()
            assert target.exists(), f"{page.relative_to(site)} links to missing {link}"
            checked += 1
    # every page links home, to the style sheet and to its neighbours: at least 3 links a page
    pages = len(list(site.rglob("*.html")))
    assert checked >= 3 * pages, (checked, pages)


def test_every_page_carries_the_notice(site):
    for page in site.rglob("*.html"):
        assert "Information, not medical advice" in page.read_text(encoding="utf-8"), page


def test_a_concept_page_has_definition_first_then_synonyms_then_the_picture(site):
    text = (site / "c" / "saddle-anaesthesia.html").read_text(encoding="utf-8")
    assert text.index('class="definition"') < text.index('class="synonyms"') < text.index("<svg")
    assert "saddle numbness" in text
    assert '<a href="rf-saddle-anaesthesia.html">New numbness or altered feeling around the saddle area</a>' in text


def test_a_red_flag_page_shows_the_path_with_the_quotes(site):
    text = (site / "c" / "rf-saddle-anaesthesia.html").read_text(encoding="utf-8")
    assert "Why it fires: from each trigger to what to do" in text
    assert "sets urgency →" in text and "calls for →" in text
    assert "this is a classic nerve-warning symptom that needs urgent same-day assessment." in text
    assert "Call 999 / go to A&amp;E now" in text


def test_the_home_page_has_search_the_tree_and_red_flags_by_urgency(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    assert '<input id="q" type="search"' in text and 'id="search-index"' in text
    assert "<details open><summary>clinical concept</summary>" in text
    assert re.search(r"<h3>emergency — Call 999 / go to A&amp;E now.</h3><ul>.*rf-saddle-anaesthesia", text, re.S)
    assert DISCLAIMER.split(":")[0] in text
