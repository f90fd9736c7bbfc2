"""`mskg serve` as a real client sees it: SPARQLWrapper and raw HTTP against a server process on loopback."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree as ET

import pytest
from rdflib import Graph

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SPARQLWrapper 2.0 uses old APIs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mskg.cli", "serve", "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL, stderr=self.log, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.process.poll() is not None:
                    self.log.seek(0)
                    raise RuntimeError(self.log.read().decode())
                time.sleep(0.2)
        raise RuntimeError("mskg serve did not start")

    def request(self, method="GET", params=None, body=None, headers=None, timeout=30):
        url = self.url + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def request_url(self, url, headers=None, timeout=30):
        """GET any URL of this server (a page, not /sparql)."""
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def server():
    s = Server("--timeout", "3", "--max-results", "5000", "--workers", "2")
    yield s
    s.stop()


#: The article's 15 red flags, plus issue 12's hot-swelling split, three elbow counterparts and the FAQ's
#: rapidly worsening pain.
RED_FLAG_COUNT = 23  # the article's 15, issue 12's five, the elbow's rapidly worsening pain, swelling after injury, metastatic cancer
RED_FLAGS = """PREFIX mskg: <https://w3id.org/mskg/ontology#>
SELECT DISTINCT ?flag WHERE { ?flag a mskg:RedFlag }"""


def test_sparqlwrapper_json_and_xml(server):
    from SPARQLWrapper import JSON, XML, SPARQLWrapper

    client = SPARQLWrapper(server.url)
    client.setQuery(RED_FLAGS)
    client.setReturnFormat(JSON)
    data = client.query().convert()
    assert len(data["results"]["bindings"]) == RED_FLAG_COUNT
    client.setReturnFormat(XML)
    document = client.query().convert()
    ns = "http://www.w3.org/2005/sparql-results#"
    assert len(document.getElementsByTagNameNS(ns, "result")) == RED_FLAG_COUNT


def test_post_forms_and_content_negotiation(server):
    form = urllib.parse.urlencode({"query": RED_FLAGS}).encode()
    status, headers, body = server.request("POST", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert body.decode().splitlines()[0] == "flag" and len(body.decode().splitlines()) == RED_FLAG_COUNT + 1
    status, headers, body = server.request("POST", body=RED_FLAGS.encode(), headers={
        "Content-Type": "application/sparql-query", "Accept": "text/tab-separated-values"})
    assert status == 200 and body.decode().startswith("?flag\n")
    status, headers, body = server.request(params={"query": RED_FLAGS}, headers={"Accept": "application/sparql-results+xml"})
    assert status == 200 and ET.fromstring(body).tag.endswith("sparql")
    construct = "CONSTRUCT { ?f a <urn:flag> } WHERE { ?f a <https://w3id.org/mskg/ontology#RedFlag> }"
    status, headers, body = server.request(params={"query": construct}, headers={"Accept": "application/n-triples"})
    assert status == 200 and len(Graph().parse(data=body.decode(), format="nt")) == RED_FLAG_COUNT
    status, _, body = server.request(params={"query": RED_FLAGS}, headers={"Accept": "image/png"})
    assert status == 406


def test_yasgui_probe_and_service_description(server):
    status, _, body = server.request(params={"query": "ASK {}"})
    assert status == 200 and json.loads(body) == {"head": {}, "boolean": True}
    status, headers, body = server.request()
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    description = Graph().parse(data=body.decode(), format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    from rdflib import URIRef

    service = URIRef(server.url)
    assert (service, URIRef(sd + "endpoint"), service) in description
    assert (service, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in description


def test_update_is_refused(server):
    from SPARQLWrapper import POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException
    from urllib.error import HTTPError

    client = SPARQLWrapper(server.url)
    client.setMethod(POST)
    client.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises((SPARQLWrapperException, HTTPError)):
        client.query()
    for params, body, headers in [
        ({"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, None, {}),
        (None, b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", {"Content-Type": "application/sparql-update"}),
        ({"query": "DELETE WHERE { ?s ?p ?o }"}, None, {}),
        ({"query": "LOAD <http://127.0.0.1:9/x>"}, None, {}),
    ]:
        status, _, text = server.request("POST" if body else "GET", params=params, body=body, headers=headers)
        assert status == 403, text
        assert b"read-only" in text
    status, _, body = server.request(params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    from mskg.kg.load import load_graph

    assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == str(len(load_graph()))  # nothing was written


def test_service_and_from_are_refused_without_any_connection(server):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.settimeout(1.5)
        port = listener.getsockname()[1]
        for query in (f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
                      f"SELECT * FROM <http://127.0.0.1:{port}/data.ttl> WHERE {{ ?s ?p ?o }}",
                      f"SELECT * FROM NAMED <http://127.0.0.1:{port}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                      "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"):
            status, _, body = server.request(params={"query": query})
            assert status == 403, body
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody ever connected
    status, _, _ = server.request(params={"query": RED_FLAGS, "default-graph-uri": "http://127.0.0.1:9/g"})
    assert status == 400


def test_a_runaway_query_is_stopped_and_the_server_answers_the_next(server):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    status, headers, body = server.request(params={"query": runaway})
    elapsed = time.monotonic() - started
    assert status == 503
    assert "retry-after" not in {k.lower() for k in headers}  # the same query would be stopped again
    assert body == b"The query ran longer than this endpoint's limit of 3 s and was stopped\n"
    assert elapsed < 10
    status, _, body = server.request(params={"query": RED_FLAGS})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == RED_FLAG_COUNT


def test_too_many_results_is_an_error_before_any_byte(server):
    status, headers, body = server.request(params={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"})
    assert status == 413
    assert body.startswith(b"The result is larger than this endpoint's limit of 5000 rows")


@pytest.mark.parametrize("method,params,body,headers,expected", [
    ("GET", {"query": "SELEKT * WHERE { ?s ?p ?o }"}, None, {}, 400),
    ("GET", {"query": "SELECT * WHERE {"}, None, {}, 400),
    ("GET", [("query", RED_FLAGS), ("query", RED_FLAGS)], None, {}, 400),
    ("PUT", None, None, {}, 405),
    ("DELETE", None, None, {}, 405),
    ("POST", None, b"query=ASK%20%7B%7D", {"Content-Type": "text/plain"}, 415),
    ("POST", None, b"\xff\xfe\x00garbage", {"Content-Type": "application/sparql-query"}, 400),
    ("POST", None, b"", {"Content-Type": "application/x-www-form-urlencoded"}, 400),
    ("GET", {"query": "   "}, None, {}, 400),
    ("GET", {"query": "\x00\x01\x02"}, None, {}, 400),
])
def test_protocol_errors_get_4xx_and_the_server_survives(server, method, params, body, headers, expected):
    status, _, text = server.request(method, params=params, body=body, headers=headers)
    assert status == expected, text
    assert server.request(params={"query": "ASK {}"})[0] == 200


def test_a_post_without_a_media_type_gets_415(server):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("POST", "/sparql")
    connection.putheader("Content-Length", "18")
    connection.endheaders(b"query=ASK%20%7B%7D")
    response = connection.getresponse()
    assert response.status == 415
    assert response.read().startswith(b"Unsupported media type '(none)'")
    connection.close()


def test_a_malformed_query_gets_the_parser_message(server):
    status, _, body = server.request(params={"query": "SELECT * WHERE {\n ?s ?p }"})
    assert status == 400
    assert body.decode().startswith("Bad query: syntax error: expected one of LATERAL, SERVICE")
    assert "at line 2, column" in body.decode()


def test_cors_is_off_by_default(server):
    status, headers, _ = server.request(params={"query": "ASK {}"}, headers={"Origin": "https://evil.example"})
    assert status == 200
    assert "access-control-allow-origin" not in {k.lower() for k in headers}


def test_cors_allow_list_never_allows_credentials():
    s = Server("--cors-origin", "https://ward.example", "--workers", "1")
    try:
        _, headers, _ = s.request(params={"query": "ASK {}"}, headers={"Origin": "https://ward.example"})
        lower = {k.lower(): v for k, v in headers.items()}
        assert lower["access-control-allow-origin"] == "https://ward.example"
        assert lower.get("access-control-allow-credentials") != "true"
        _, headers, _ = s.request(params={"query": "ASK {}"}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in {k.lower() for k in headers}
    finally:
        s.stop()


def test_pages_are_served_with_a_self_only_content_security_policy(server):
    for path in ("", "index.html", "c/saddle-anaesthesia.html", "query.html"):
        url = server.url.replace("/sparql", "/" + path)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
            assert b"Information, not medical advice" in response.read()
    try:
        urllib.request.urlopen(server.url.replace("/sparql", "/c/no-such-page.html"), timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
    else:
        raise AssertionError("a missing page must be a 404")


@pytest.mark.parametrize("value", ["tennis-elbow", "id:tennis-elbow"])
def test_a_bare_id_gives_the_same_rows_through_mskg_serve_as_in_process(server, value):
    """`mskg query NAME --param condition=tennis-elbow --endpoint URL` used to send the bare id as a plain
    string and return no rows; through mskg's own endpoint it gives the in-process rows."""
    from click.testing import CliRunner

    from mskg.cli.main import cli

    args = ["query", "condition_actions", "--param", f"condition={value}", "--format", "csv"]
    remote = CliRunner().invoke(cli, args + ["--endpoint", server.url])
    local = CliRunner().invoke(cli, args)
    assert remote.exit_code == local.exit_code == 0, remote.output + local.output
    rows = remote.stdout.splitlines()[1:]
    assert rows and all(r.startswith("https://w3id.org/mskg/id/tennis-elbow,") for r in rows)
    assert sorted(rows) == sorted(local.stdout.splitlines()[1:])
