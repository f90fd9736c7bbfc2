"""Right errors (issue 13, item 4): deep nesting never crashes the server or the CLI, a custom function is a
400, numeric options are validated, the Host header is checked against an allow-list, every response
carries nosniff and a Content-Security-Policy, and no remote body or file is echoed in an error."""
from __future__ import annotations

import http.server
import subprocess
import sys

import pytest
from click.testing import CliRunner
from rdflib import Graph

from mskg.cli.main import cli
from mskg.queries.engine import QueryError
from mskg.queries.endpoint.server import DATA_CSP
from mskg.queries.run import load_remote, run_remote

from .test_server import Server

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: Texts that crash (SIGSEGV) or stall Oxigraph's parser when it sees them unguarded (measured).
DEEP = {
    "groups": "SELECT * WHERE " + "{" * 20_000 + "}" * 20_000,
    "brackets": "SELECT (" + "(" * 20_000 + "1" + ")" * 20_000 + " AS ?x) {}",
    "negations": "SELECT (" + "!" * 20_000 + "true AS ?x) {}",
    "blank-nodes": "SELECT * { ?s ?p " + "[ <urn:p> " * 3000 + "1" + " ]" * 3000 + " }",
    "optionals": "SELECT * WHERE { " + "OPTIONAL { " * 20_000 + "}" * 20_000 + " }",
}


@pytest.fixture(scope="module")
def server():
    s = Server("--timeout", "10", "--workers", "1")
    yield s
    s.stop()


def lower(headers: dict) -> dict:
    return {k.lower(): v for k, v in headers.items()}


# ---------------------------------------------------------------------- deep nesting

@pytest.mark.parametrize("name", sorted(DEEP))
def test_the_cli_refuses_a_deeply_nested_query_with_a_message_and_exit_2(tmp_path, name):
    path = tmp_path / "deep.rq"
    path.write_text(DEEP[name], encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mskg.cli", "query", str(path)], capture_output=True, timeout=300)
    stderr = done.stderr.decode()
    assert done.returncode == 2, (done.returncode, stderr[-500:])
    assert stderr.startswith("mskg query: ") and "Traceback" not in stderr
    assert "nested too deeply" in stderr
    assert done.stdout == b""


@pytest.mark.parametrize("name", sorted(DEEP))
def test_the_endpoint_answers_400_to_a_deeply_nested_query_and_goes_on(server, name):
    status, _, body = server.request("POST", body=DEEP[name].encode(),
                                     headers={"Content-Type": "application/sparql-query"})
    assert status == 400, body[:300]
    assert body.startswith(b"Bad query: ") and b"nested too deeply" in body
    assert server.request(params={"query": "ASK {}"})[0] == 200


# ---------------------------------------------------------------------- custom functions

@pytest.mark.parametrize("query,function", [
    ("SELECT * WHERE { BIND(<urn:f>(1) AS ?x) }", "<urn:f>"),
    ("SELECT * WHERE { ?s ?p ?o FILTER(<http://example.org/fn#len>(?o) > 3) } LIMIT 1", "<http://example.org/fn#len>"),
    ("SELECT (<urn:agg>(?o) AS ?n) WHERE { ?s ?p ?o }", "<urn:agg>"),
    ("SELECT * WHERE { BIND(1 AS ?z) OPTIONAL { BIND(xsd:date(\"2020-01-01\") AS ?d) } }",
     "<http://www.w3.org/2001/XMLSchema#date>"),
])
def test_a_custom_function_call_is_a_400_not_a_500(server, query, function):
    status, _, body = server.request(params={"query": query})
    assert status == 400
    assert body.decode().startswith(f"Bad query: the function {function} is not accepted")
    result = CliRunner().invoke(cli, ["query", "-e", query])
    assert result.exit_code == 2 and result.stderr.startswith(f"mskg query: the function {function} is not accepted")


def test_the_xsd_casts_sparql_defines_are_accepted(server):
    query = ('SELECT ?b ?d ?f ?m ?i ?t ?s WHERE { BIND(xsd:boolean("true") AS ?b) BIND(xsd:double("1") AS ?d) '
             'BIND(xsd:float("1") AS ?f) BIND(xsd:decimal("1.5") AS ?m) BIND(xsd:integer("2") AS ?i) '
             'BIND(xsd:dateTime("2020-01-01T00:00:00Z") AS ?t) BIND(xsd:string(1) AS ?s) }')
    status, _, body = server.request(params={"query": query}, headers={"Accept": "text/csv"})
    assert status == 200, body
    header, row = body.decode().splitlines()
    assert header == "b,d,f,m,i,t,s" and len(row.split(",")) == 7 and "" not in row.split(",")


# ---------------------------------------------------------------------- numeric options

@pytest.mark.parametrize("option,value", [
    ("--timeout", "nan"), ("--timeout", "inf"), ("--timeout", "-inf"), ("--timeout", "-1"), ("--timeout", "0"),
    ("--timeout", "ten"), ("--timeout", "1e9"), ("--max-results", "0"), ("--max-results", "-5"),
    ("--workers", "0"), ("--workers", "nan"), ("--memory-limit", "-1"), ("--memory-limit", "0"),
    ("--port", "-1"), ("--port", "70000"),
])
def test_serve_refuses_a_bad_number_as_a_usage_error(option, value):
    result = CliRunner().invoke(cli, ["serve", option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------- the Host allow-list

def test_a_host_not_allowed_gets_421_and_is_never_echoed(server):
    for host in ("evil.example", "evil.example:80", f"attacker.test:{server.port}", "127.0.0.2", "[::2]:80", "a:b:c"):
        status, headers, body = server.request(headers={"Host": host})
        assert status == 421, host
        assert host.encode() not in body and b"evil" not in body
        assert lower(headers)["x-content-type-options"] == "nosniff"
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", "LOCALHOST", f"[::1]:{server.port}"):
        status, _, body = server.request(headers={"Host": host})
        assert status == 200, host
        assert f"<http://{host.lower()}/sparql>".encode() in body or f"<http://{host}/sparql>".encode() in body


@pytest.mark.parametrize("host", ["[localhost]", "[127.0.0.1]", "localhost:\u00b2", "[::1]:\u00b9", "127.0.0.1:\u00b9\u00b2",
                                  "[localhost]:80", "localhost:99999", "[v1.x]", "[::1]x", "local]host", "::zz",
                                  "::1", "0:0:0:0:0:0:0:1"])
def test_a_malformed_host_gets_421_and_is_not_in_the_description(server, host):
    """Brackets are for IPv6 literals only, an IPv6 literal is in brackets (RFC 3986: a bare ``::1`` is what
    the allow-list may say, never a Host header), and a port is ASCII digits (``"²".isdigit()`` is true)."""
    status, _, body = server.request(headers={"Host": host})
    assert status == 421, host
    assert host.encode("latin-1") not in body


@pytest.mark.parametrize("host,name", [("localhost", "localhost"), ("LocalHost.:8000", "localhost"),
                                       ("[::1]", "::1"), ("[::1]:8000", "::1"), ("::1", "::1"),
                                       ("127.0.0.1:65535", "127.0.0.1"), ("[localhost]", None), ("[127.0.0.1]", None),
                                       ("localhost:\u00b2", None), ("[::1]:\u00b9", None), ("localhost:\u0661", None),
                                       ("localhost:65536", None), ("[::1", None), ("", None), ("a:b:c", None)])
def test_host_name_reads_only_well_formed_hosts(host, name):
    from mskg.queries.endpoint.server import host_name

    assert host_name(host) == name
    if host.count(":") < 2 or host.startswith("["):
        assert host_name(host, header=True) == name
    else:  # a bare IPv6 address: an allow-list entry, not a Host header
        assert host_name(host, header=True) is None


def test_the_not_found_page_writes_control_characters_out(server):
    base = server.url.replace("/sparql", "")
    for path, shown in (("/nope%1b[31mRED%07", b"Not found: /nope\\x1b[31mRED\\x07"),
                        ("/a%e2%80%aeb", b"Not found: /a\\u202eb")):
        status, _, body = server.request_url(base + path)
        assert status == 404
        assert body.startswith(shown), body
        assert b"\x1b" not in body and b"\x07" not in body and "\u202e".encode() not in body


def test_allowed_host_adds_names_and_the_description_uses_only_those():
    s = Server("--workers", "1", "--allowed-host", "ward.example")
    try:
        status, _, body = s.request(headers={"Host": f"ward.example:{s.port}"})
        assert status == 200
        description = Graph().parse(data=body.decode(), format="turtle")
        assert {str(x) for x in description.subjects()} >= {f"http://ward.example:{s.port}/sparql"}
        assert s.request(headers={"Host": "other.example"})[0] == 421
        assert s.request(params={"query": "ASK {}"})[0] == 200  # the bound address stays allowed
    finally:
        s.stop()


# ---------------------------------------------------------------------- nosniff and CSP everywhere

def test_every_response_carries_nosniff_and_a_content_security_policy(server):
    base = server.url.replace("/sparql", "")
    requests = [
        ("GET", None, None, {}, 200, "/sparql"),                                        # service description
        ("GET", {"query": "ASK {}"}, None, {}, 200, "/sparql"),
        ("GET", {"query": "SELECT * WHERE {"}, None, {}, 400, "/sparql"),
        ("GET", {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> {} }"}, None, {}, 403, "/sparql"),
        ("GET", {"query": "ASK {}"}, None, {"Accept": "image/png"}, 406, "/sparql"),
        ("PUT", None, None, {}, 405, "/sparql"),
        ("POST", None, b"x", {"Content-Type": "text/plain"}, 415, "/sparql"),
        ("GET", None, None, {"Host": "evil.example"}, 421, "/sparql"),
        ("GET", None, None, {}, 404, "/no-such-page"),
    ]
    import urllib.error
    import urllib.parse
    import urllib.request

    for method, params, body, headers, expected, path in requests:
        url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, got = response.status, lower(dict(response.headers))
        except urllib.error.HTTPError as exc:
            status, got = exc.code, lower(dict(exc.headers))
            exc.close()
        assert status == expected, (method, path, params)
        assert got["x-content-type-options"] == "nosniff", (method, path, status)
        assert got["content-security-policy"] == DATA_CSP, (method, path, status)
    with urllib.request.urlopen(base + "/index.html", timeout=30) as response:  # pages keep their own policy
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


# ---------------------------------------------------------------------- nothing echoed

class _Answer(http.server.BaseHTTPRequestHandler):
    def _reply(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"SECRET-REMOTE-BODY root:x:0:0"
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = _reply

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_store(local_http):
    return local_http(_Answer)


def test_a_remote_error_body_is_not_echoed(failing_store):
    with pytest.raises(QueryError) as error:
        run_remote("ASK {}", failing_store + "query", timeout=10)
    assert str(error.value) == "the endpoint answered 500 Internal Server Error"
    with pytest.raises(QueryError) as error:
        load_remote(Graph(), failing_store + "store", timeout=10)
    assert "SECRET" not in str(error.value) and "root:" not in str(error.value)
    result = CliRunner().invoke(cli, ["query", "-e", "ASK {}", "--endpoint", failing_store + "query"])
    assert result.exit_code == 2 and "SECRET" not in result.output


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "/etc/passwd", "http://"])
def test_load_and_query_refuse_anything_but_http(url):
    result = CliRunner().invoke(cli, ["load", "--endpoint", url])
    assert result.exit_code == 1
    assert "must be an http:// or https:// URL" in result.stderr and "root:" not in result.output
    result = CliRunner().invoke(cli, ["query", "-e", "ASK {}", "--endpoint", url])
    assert result.exit_code == 2
    assert "must be an http:// or https:// URL" in result.stderr and "root:" not in result.output


@pytest.mark.parametrize("accept,chosen", [
    ("text/csv;q=nan", None), ("text/csv;q=NaN, application/sparql-results+xml;q=0.5", "xml"),
    ("text/csv;q=inf, application/sparql-results+xml;q=0.1", "xml"), ("text/csv;q=-inf", None),
    ("text/csv;q=2, text/tab-separated-values", "tsv"), ("text/csv;q=0.5, text/tab-separated-values;q=0.4", "csv"),
])
def test_a_q_that_is_not_a_number_from_0_to_1_is_ignored(accept, chosen):
    from mskg.queries.endpoint.workers import negotiate

    assert negotiate(accept, "select") == chosen


# ---------------------------------------------------------------------- SERVICE: 403 however it is nested

@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/> { SERVICE ?x { ?s ?p ?o } } }",
    "SELECT * WHERE { " + "{ " * 60 + "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }" + " }" * 60 + " }",
], ids=["top level", "nested in SERVICE", "nested, SILENT and a variable", "60 groups deep"])
def test_a_service_is_403_however_deeply_it_is_nested(server, query):
    status, _, body = server.request(params={"query": query})
    assert (status, body) == (403, b"SERVICE (federated query) is not accepted: this service makes no "
                                   b"outbound connections\n")


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { " + "{ " * 60 + "?service ?p 'SERVICE' # SERVICE\n" + " }" * 60 + " }",
    "SELECT * WHERE { " + "{ " * 60 + "skos:service ?p <http://example.org/SERVICE> " + " }" * 60 + " }",
])
def test_too_deep_without_a_service_keyword_stays_400(query):
    from mskg.queries.guard import TOO_DEEP_MESSAGE, ForbiddenQuery, QueryRefused, check_query

    with pytest.raises(QueryRefused) as refused:
        check_query(query)
    assert not isinstance(refused.value, ForbiddenQuery) and str(refused.value) == TOO_DEEP_MESSAGE


@pytest.mark.parametrize("update,named", [
    ("INSERT { <urn:a> <urn:b> <urn:c> } WHERE { }", "INSERT"),
    ("WITH <urn:g> INSERT { <urn:a> <urn:b> <urn:c> } WHERE { }", "INSERT"),
    ("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "DELETE"),
    ("DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", "DELETE/INSERT"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "INSERT"),
    ("DELETE WHERE { ?s ?p ?o }", "DELETE"),
])
def test_an_update_is_refused_under_its_own_name(update, named):
    from mskg.queries.guard import ForbiddenQuery, check_query

    with pytest.raises(ForbiddenQuery) as refused:
        check_query(update)
    assert str(refused.value) == f"this endpoint is read-only: {named} (SPARQL Update) is not accepted"


@pytest.mark.parametrize("params,media", [(None, "text/turtle; charset=utf-8"),
                                          ({"query": "ASK {}"}, "application/sparql-results+json")])
def test_head_answers_as_get_does_without_a_body(server, params, media):
    get_status, get_headers, get_body = server.request("GET", params=params)
    status, headers, body = server.request("HEAD", params=params)
    assert (status, body) == (get_status, b"") == (200, b"")
    assert headers["content-type"] == get_headers["content-type"] == media
    assert headers["content-length"] == str(len(get_body))
    assert headers["x-content-type-options"] == "nosniff"


def test_the_library_defaults_are_the_ones_mskg_serve_documents(monkeypatch):
    """``ServerConfig()`` (what ``create_app`` uses when given no config) has the limits ``mskg serve --help``
    shows: a library user gets the same endpoint as the command line."""
    import dataclasses

    from mskg.queries.endpoint import server as module

    seen = []
    monkeypatch.setattr(module, "serve", lambda host, port, config: seen.append((host, port, config)))
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    [(host, port, config)] = seen
    assert (host, port) == ("127.0.0.1", 8000)
    assert dataclasses.asdict(config) == dataclasses.asdict(module.ServerConfig())
    assert dataclasses.astuple(module.ServerConfig())[:4] == (10.0, 10_000, 2, 2048)


def test_the_worker_pools_defaults_are_the_endpoints():
    """A ``WorkerPool`` or ``WorkerSettings`` made without arguments (by a library user, or a test) has the limits
    ``mskg serve`` documents: 10 s a query, 10,000 rows, 2 workers, 2048 MB each (a sampled mutation run changed
    the pool's defaults and nothing noticed)."""
    import inspect

    from mskg.queries.endpoint.server import ServerConfig
    from mskg.queries.endpoint.workers import EndpointPool, WorkerPool, WorkerSettings

    config, settings = ServerConfig(), WorkerSettings()
    for cls in (WorkerPool, EndpointPool):
        pool = inspect.signature(cls.__init__).parameters
        assert (pool["timeout"].default, pool["size"].default) == (config.timeout, config.workers) == (10.0, 2)
    assert (settings.max_rows, settings.memory_mb) == (config.max_rows, config.memory_mb) == (10_000, 2048)


def test_killing_a_worker_stops_its_process_at_once():
    """``kill()`` is how a query past its time limit is stopped: the worker's process must be gone when it
    returns, not left running its query (a mutation run inverted the liveness check and nothing noticed)."""
    import multiprocessing as mp

    from mskg.queries.endpoint.workers import WorkerSettings, _Worker

    worker = _Worker(mp.get_context("spawn"), b"", WorkerSettings())
    assert worker.process.is_alive()
    worker.kill()
    assert worker.broken and not worker.process.is_alive()
    assert worker.process.exitcode is not None and worker.process.exitcode < 0  # ended by a signal, not by itself


def test_a_pool_replaces_a_stopped_worker_and_answers_the_next_query():
    """A query past its time limit costs its worker (killed); the pool starts another, so the next query is
    answered, not refused as busy (a mutation run started the pool as if closed, and nothing noticed)."""
    from mskg.queries.endpoint.workers import WorkerPool

    data = b"".join(b"<urn:s%d> <urn:p> <urn:o%d> .\n" % (i, i) for i in range(300))
    pool = WorkerPool(data, size=1, timeout=1)
    try:
        runaway = pool.run("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }", None)
        assert (runaway.status, runaway.body) == (
            503, b"The query ran longer than this endpoint's limit of 1 s and was stopped\n")
        answer = pool.run("ASK { <urn:s1> <urn:p> <urn:o1> }", None)
        assert (answer.status, answer.body) == (200, b'{"head":{},"boolean":true}')
    finally:
        pool.close()


def test_one_address_may_hold_half_the_endpoints_workers():
    """README: the fair queue lets one address hold at most half the workers (at least one), so two clients
    sending slow queries cannot starve everyone else (40 % of a trivial ASK got 503 before)."""
    from mskg.queries.endpoint.workers import EndpointPool

    pool = EndpointPool(b"", size=2)
    try:
        assert pool.queue.per_client == 1
    finally:
        pool.close()
