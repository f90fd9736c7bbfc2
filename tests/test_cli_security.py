"""Errors that leak nothing and queries that cannot run away (issue 13, items 4 and 5, CLI side).

`mskg load` and `mskg query --endpoint` take only http(s) URLs and never follow a redirect to a file, so
no local file's content can reach an error message; `mskg query -e` (and a FILE.rq) runs in a killable
worker with `--timeout` (default 30 s), and a timeout that is not a positive finite number is a usage error.
"""
from __future__ import annotations

import http.server

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli
from mskg.queries import query_info


def _invoke(*args):
    return CliRunner().invoke(cli, list(args))


def _no_leak(result):
    assert "root:" not in result.output and "/bin/" not in result.output  # nothing of /etc/passwd
    assert "Traceback" not in result.output


@pytest.mark.parametrize("url", ["file:///etc/passwd", "file:///etc/passwd#", "FILE:///etc/passwd?x=1",
                                 "ftp://127.0.0.1:9/x", "http:///etc/passwd", "/etc/passwd", "gopher://x/"])
def test_load_takes_only_http_urls(url):
    result = _invoke("load", "--endpoint", url)
    assert result.exit_code == 1
    assert "must be an http:// or https:// URL" in result.output
    _no_leak(result)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "file:///etc/passwd#", "ftp://127.0.0.1:9/x"])
def test_query_endpoint_takes_only_http_urls(url):
    result = _invoke("query", "-e", "ASK {}", "--endpoint", url)
    assert result.exit_code == 2
    assert "must be an http:// or https:// URL" in result.output
    _no_leak(result)


@pytest.fixture
def redirecting(local_http):
    """A local server that answers every request with a redirect to /etc/passwd."""
    class Redirect(http.server.BaseHTTPRequestHandler):
        def _go(self):
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = _go

        def log_message(self, *args):
            pass

    return local_http(Redirect) + "store"


def test_a_redirect_to_a_file_is_not_followed(redirecting):
    for args, code in ((("load", "--endpoint", redirecting), 1),
                       (("query", "-e", "ASK {}", "--endpoint", redirecting), 2)):
        result = _invoke(*args)
        assert result.exit_code == code, result.output
        _no_leak(result)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1", "0", "abc", ""])
def test_timeout_must_be_a_positive_finite_number(value):
    result = _invoke("query", "-e", "ASK {}", "--timeout", value)
    assert result.exit_code == 2
    assert "Invalid value for '--timeout'" in result.output


def test_a_runaway_query_is_stopped_at_its_timeout():
    result = _invoke("query", "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
                     "--timeout", "1")
    assert result.exit_code == 1
    assert result.output == ("mskg query: the query ran longer than the limit of 1 s and was stopped "
                             "(raise it with --timeout)\n")


def test_a_query_from_the_command_line_answers_as_the_library_does():
    """The same text by name (in-process) and with -e (in the worker): the same output in every format."""
    text = query_info("urgency_levels").text
    for fmt in ("table", "json", "csv", "tsv", "xml"):
        by_name = _invoke("query", "urgency_levels", "--format", fmt)
        given = _invoke("query", "-e", text, "--format", fmt)
        assert by_name.exit_code == given.exit_code == 0, given.output
        assert given.output == by_name.output, fmt


def test_a_query_from_the_command_line_takes_parameters_and_reports_syntax_errors():
    result = _invoke("query", "-e", "SELECT ?label WHERE { ?c skos:prefLabel ?label }", "--param", "c=tennis-elbow",
                     "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == ["tennis elbow"]
    result = _invoke("query", "-e", "SELEC x")
    assert result.exit_code == 2
    assert result.output.startswith("mskg query: syntax error:") and "line 1, column" in result.output


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_serve_timeout_is_checked_the_same_way(value):
    result = _invoke("serve", "--timeout", value)
    assert result.exit_code == 2
    assert "Invalid value for '--timeout'" in result.output
