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


# ---------------------------------------------------------------------- a misbehaving --endpoint

def raw_server(local_http, reply: bytes, trickle: bytes = b"", seconds: float = 30.0) -> str:
    """A local server that reads the request (its body too, by its Content-Length), answers ``reply`` (any
    bytes, HTTP or not), then sends ``trickle`` a byte at a time every 0.1 s (for at most ``seconds``) and
    closes."""
    import socketserver
    import time

    class Raw(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(10)
            seen = b""
            try:
                while b"\r\n\r\n" not in seen:
                    seen += self.request.recv(65536)
                head, _, body = seen.partition(b"\r\n\r\n")
                length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")]
                while length and len(body) < length[0]:
                    body += self.request.recv(1 << 20)
                self.request.sendall(reply)
                end = time.monotonic() + seconds
                for byte in trickle:
                    if time.monotonic() > end:
                        break
                    self.request.sendall(bytes([byte]))
                    time.sleep(0.1)
            except OSError:
                pass

    return local_http(Raw) + "query"


def _one_clean_line(result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert "\x1b" not in result.output and "EVIL" not in result.output
    assert result.output.count("\n") == 1
    return result.output


@pytest.mark.parametrize("reply,message", [
    (b"", "the endpoint closed the connection without answering"),
    (b"\x1b[31mEVIL\x1b[0m\r\n\r\n", "the endpoint's answer is not valid HTTP"),
    (b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: EVIL\r\n" % i for i in range(101)) + b"\r\n",
     "the endpoint's answer is not valid HTTP"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 100\r\n\r\n{\"EVIL",
     "the endpoint closed the connection before its answer was complete"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"64\r\n{\"EVIL", "the endpoint closed the connection before its answer was complete"),
    (b"HTTP/1.1 500 \x1b[2J\x1b[31mEVIL\r\nContent-Length: 0\r\n\r\n", "the endpoint answered 500 Internal Server Error"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/\x1b[2Jx\r\nContent-Length: 3\r\n\r\nabc",
     "the endpoint's answer (text/\\x1b[2Jx, 3 bytes) is neither SPARQL JSON results nor N-Triples "
     "(ParserError)"),
], ids=["closed", "bad status line", "101 headers", "cut off", "cut off chunked", "ansi reason", "ansi type"])
def test_a_broken_answer_is_one_line_that_repeats_nothing_of_it(local_http, reply, message):
    url = raw_server(local_http, reply)
    result = _invoke("query", "-e", "ASK {}", "--endpoint", url, "--timeout", "60")
    assert _one_clean_line(result, 2) == f"mskg query: {message}\n"


def test_the_endpoint_timeout_bounds_the_whole_request_not_each_read(local_http):
    # Headers at once, then a byte every 0.1 s: no single read waits anywhere near --timeout.
    url = raw_server(local_http, b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                 b"Content-Length: 1000\r\n\r\n", trickle=b" " * 1000)
    result = _invoke("query", "-e", "ASK {}", "--endpoint", url, "--timeout", "2")
    assert _one_clean_line(result, 1) == ("mskg query: the endpoint did not answer within the limit of 2 s "
                                          "(raise it with --timeout)\n")


@pytest.mark.parametrize("head", [b"Content-Length: 1000000000000\r\n", b""], ids=["declared", "streamed"])
def test_an_answer_over_the_byte_cap_is_refused(local_http, head):
    url = raw_server(local_http, b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n" + head
                     + b"Connection: close\r\n\r\n" + b" " * 5000)
    result = _invoke("query", "-e", "ASK {}", "--endpoint", url, "--max-response-bytes", "4096")
    assert _one_clean_line(result, 2) == ("mskg query: the endpoint's answer is larger than 4096 bytes; add a "
                                          "LIMIT to the query (or raise --max-response-bytes)\n")


def test_a_redirect_to_another_host_is_not_followed(local_http, listener):
    url = raw_server(local_http, f"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{listener.port}/"
                                 f"\r\nContent-Length: 0\r\n\r\n".encode())
    result = _invoke("query", "-e", "ASK {}", "--endpoint", url)
    assert _one_clean_line(result, 2) == ("mskg query: the endpoint answered 307 Temporary Redirect, a redirect: "
                                          "mskg does not follow redirects (give the URL it redirects to, if you "
                                          "trust it)\n")
    assert listener.close() == 0


def test_control_characters_in_remote_values_are_written_out_in_the_table(local_http):
    body = (b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":'
            b'"\\u001b[2Jred\\u202e"}}]}}')
    url = raw_server(local_http, b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                     + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    result = _invoke("query", "-e", "SELECT ?x WHERE { BIND(1 AS ?x) }", "--endpoint", url)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2] == "\\x1b[2Jred\\u202e"


# ---------------------------------------------------------------------- lexical forms kept as sent

XSD_NS = "http://www.w3.org/2001/XMLSchema#"
#: (lexical form, XSD datatype): forms rdflib would normalise (expand, reorder, drop) or cannot convert.
AS_SENT = [("1E+999999999", "decimal"), ("-1E-999999999", "decimal"), ("1E+5", "decimal"), ("+01", "integer"),
           ("1e999999999", "integer"), ("1" * 5000, "integer"), ("1E+999999999", "double"), ("1e999999", "float"),
           ("P99999999999999999999999Y", "duration"), ("99999999999-01-01T00:00:00", "dateTime"),
           ("-" + "9" * 4000 + "-01-01T00:00:00", "dateTime"), ("0001.50", "decimal")]


def _select_json(cells) -> bytes:
    import json

    return json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
        {"x": {"type": "literal", "value": value, "datatype": XSD_NS + datatype}} for value, datatype in cells]}}
    ).encode()


def test_results_parsed_from_json_keep_every_lexical_form_as_sent(caplog):
    from mskg.queries.results import parse_json_results, serialize, to_table

    result = parse_json_results(_select_json(AS_SENT))
    assert [str(row[0]) for row in result.rows] == [value for value, _ in AS_SENT]
    assert [str(row[0].datatype) for row in result.rows] == [XSD_NS + datatype for _, datatype in AS_SENT]
    assert serialize(result, "csv").decode().split("\r\n")[1:-1] == [value for value, _ in AS_SENT]
    assert to_table(result, width=10_000).splitlines()[2:-1] == [value for value, _ in AS_SENT]
    assert "Failed to convert" not in caplog.text  # an ill-typed literal is data, not a warning


def _bounded_mskg(*args: str, megabytes: int = 1500, timeout: float = 120):
    """``mskg ARGS`` in a process whose address space is capped: a blow-up is a quick MemoryError there, not
    gigabytes taken from the machine."""
    import os
    import resource
    import subprocess
    import sys

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))

    return subprocess.run([sys.executable, "-m", "mskg.cli", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=cap, env=dict(os.environ))


HUGE = [("1E+999999999", "decimal"), ("-1E-999999999", "decimal"), ("1e999999999", "integer")]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "tsv", "xml"])
def test_a_huge_exponent_from_an_endpoint_is_shown_as_sent_in_bounded_memory(local_http, fmt):
    """12 bytes of ``"1E+999999999"^^xsd:decimal`` once made mskg write (and hold) a billion digits."""
    body = _select_json(HUGE)
    url = raw_server(local_http, b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                     + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    done = _bounded_mskg("query", "-e", "SELECT ?x WHERE { ?x ?p ?o }", "--endpoint", url, "--format", fmt)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    for value, _ in HUGE:
        assert value in done.stdout
    assert len(done.stdout) < 2000


def test_a_huge_exponent_in_a_graph_from_an_endpoint_is_kept_as_sent(local_http):
    body = "".join(f'<http://a/s> <http://a/p> "{value}"^^<{XSD_NS}{datatype}> .\n' for value, datatype in HUGE)
    url = raw_server(local_http, b"HTTP/1.1 200 OK\r\nContent-Type: application/n-triples\r\n"
                     + b"Content-Length: %d\r\n\r\n" % len(body) + body.encode())
    done = _bounded_mskg("query", "-e", "CONSTRUCT WHERE { ?s ?p ?o }", "--endpoint", url, "--format", "nt")
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(done.stdout.splitlines()) == sorted(body.splitlines())


@pytest.mark.parametrize("args", [("--format", "table"), ("--format", "json"), ("--format", "csv"),
                                  ("--engine", "rdflib"), ("--engine", "rdflib", "--format", "json")])
def test_a_huge_exponent_in_a_query_is_shown_as_written_in_bounded_memory(args):
    select = "SELECT " + " ".join(f'("{value}"^^xsd:{datatype} AS ?v{n})' for n, (value, datatype) in enumerate(HUGE))
    done = _bounded_mskg("query", "-e", select + " {}", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Failed to convert" not in done.stderr
    for value, _ in HUGE:
        assert value in done.stdout
    assert len(done.stdout) < 2000


def test_a_huge_exponent_in_a_constructed_graph_is_kept_as_written():
    construct = "CONSTRUCT { " + " ".join(f'<http://a/s> <http://a/p{n}> "{value}"^^xsd:{datatype} .'
                                          for n, (value, datatype) in enumerate(HUGE)) + " } {}"
    done = _bounded_mskg("query", "-e", construct, "--format", "nt")
    assert done.returncode == 0, done.stderr[-2000:]
    for value, datatype in HUGE:
        assert f'"{value}"^^<{XSD_NS}{datatype}>' in done.stdout


# ---------------------------------------------------------------------- a misbehaving graph store (mskg load)

def test_load_has_a_deadline_for_the_whole_request_not_each_read(local_http):
    """A store that sends its status line and then a byte every 0.1 s once held `mskg load` for ever."""
    url = raw_server(local_http, b"HTTP/1.1 200 OK\r\n", trickle=b"X" * 1000)
    result = _invoke("load", "--endpoint", url, "--timeout", "2")
    assert _one_clean_line(result, 1) == ("mskg load: the graph store did not answer within the limit of 2 s "
                                          "(raise it with --timeout)\n")
    # A 204 has no body, whatever its Content-Length says: the trickle after it is not waited for.
    url = raw_server(local_http, b"HTTP/1.1 204 No Content\r\nContent-Length: 100000\r\n\r\n", trickle=b"X" * 1000)
    result = _invoke("load", "--endpoint", url, "--timeout", "20")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("loaded ")


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_load_timeout_is_checked_as_query_timeout_is(value):
    result = _invoke("load", "--endpoint", "http://127.0.0.1:9/store", "--timeout", value)
    assert result.exit_code == 2
    assert "Invalid value for '--timeout'" in result.output


@pytest.mark.parametrize("reply,message", [
    (b"HTTP/1.1 200 OK\r\n\x1b[31mEVIL junk", "the graph store closed the connection before its answer was complete"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain", "the graph store closed the connection before its answer "
                                                    "was complete"),
    (b"HTTP/1.1 204 No Content", "the graph store closed the connection before its answer was complete"),
    (b"HTTP/1.1 200 OK\r\n\x1b[31mEVIL junk\r\n\r\n", "the graph store's answer is not valid HTTP"),
    (b"HTTP/1.1 204 No Content\r\nX-Ok: 1\r\nEVIL junk\r\nX-More: 2\r\n\r\n", "the graph store's answer is not valid HTTP"),
    (b"", "the graph store closed the connection without answering"),
    (b"\x1b[31mEVIL\x1b[0m\r\n\r\n", "the graph store's answer is not valid HTTP"),
    (b"HTTP/1.1 500 \x1b[2JEVIL\r\nContent-Length: 0\r\n\r\n", "the graph store answered 500 Internal Server Error"),
], ids=["junk then close", "headers cut off", "status line only", "junk line", "junk among headers", "closed",
        "not http", "ansi reason"])
def test_load_reports_success_only_for_a_well_formed_answer(local_http, reply, message):
    url = raw_server(local_http, reply)
    result = _invoke("load", "--endpoint", url, "--timeout", "60")
    assert _one_clean_line(result, 1) == f"mskg load: {message}\n"


def test_load_reports_success_for_a_well_formed_answer_with_a_long_acknowledgement(local_http):
    url = raw_server(local_http, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 200000\r\n\r\n"
                     + b"k" * 200_000)
    result = _invoke("load", "--endpoint", url)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("loaded ") and " triples into the default graph at " in result.output


def test_a_query_answer_with_its_headers_cut_off_is_not_taken_for_an_answer(local_http):
    body = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
    url = raw_server(local_http, b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nEVIL\r\n\r\n"
                     + body)
    result = _invoke("query", "-e", "SELECT ?x WHERE { ?x ?p ?o }", "--endpoint", url)
    assert _one_clean_line(result, 2) == "mskg query: the endpoint's answer is not valid HTTP\n"


# ---------------------------------------------------------------------- control characters: terminal or pipe

EVIL_JSON = ('{"head":{"vars":["x","y"]},"results":{"bindings":[{"x":{"type":"literal","value":'
             '"v\\u001b[31mRED\\u001b]0;pwned\\u0007\\u009b\\u202e\\rZ"},'
             '"y":{"type":"literal","value":"1","datatype":"http://x/\\u001b[5mBLINK"}}]}}').encode()
CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def _evil_endpoint(local_http) -> str:
    return raw_server(local_http, b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                      + b"Content-Length: %d\r\n\r\n" % len(EVIL_JSON) + EVIL_JSON)


def _on_a_terminal(*args: str) -> str:
    """What ``mskg ARGS`` writes when its standard output is a terminal (a pseudo-terminal in raw mode, so
    the bytes arrive unchanged)."""
    import os
    import pty
    import subprocess
    import sys
    import tty

    main, side = pty.openpty()
    tty.setraw(side)
    try:
        process = subprocess.Popen([sys.executable, "-m", "mskg.cli", *args], stdout=side,
                                   stderr=subprocess.PIPE, env=dict(os.environ))
        os.close(side)
        out = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            out += chunk
        assert process.wait(timeout=120) == 0, process.stderr.read()
        process.stderr.close()
    finally:
        os.close(main)
    return out.decode("utf-8")


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "xml"])
def test_remote_control_characters_are_written_out_on_a_terminal(local_http, fmt):
    shown = _on_a_terminal("query", "-e", "SELECT ?x ?y WHERE { ?x ?p ?y }", "--endpoint", _evil_endpoint(local_http),
                           "--format", fmt)
    assert not any(ch in shown for ch in CONTROLS) and "pwned" in shown, repr(shown)
    if fmt in ("table", "csv", "xml"):  # JSON writes \u001b itself
        assert "\\x1b[31mRED\\x1b]0;pwned\\x07" in shown
    if fmt == "csv":
        assert "\\x0dZ" in shown  # a lone carriage return could hide what precedes it; CR LF is kept
        assert shown.count("\r\n") == 2


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "xml"])
def test_remote_control_characters_are_exact_data_in_a_pipe(local_http, fmt):
    from mskg.queries.results import parse_json_results, serialize

    result = _invoke("query", "-e", "SELECT ?x ?y WHERE { ?x ?p ?y }", "--endpoint", _evil_endpoint(local_http),
                     "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == serialize(parse_json_results(EVIL_JSON), fmt)
    if fmt != "json":  # JSON writes a C0 control as \u001b itself
        assert "\x1b[31mRED\x1b]0;pwned\x07" in result.output
