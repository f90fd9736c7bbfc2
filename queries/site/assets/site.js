// mskg site: search as you type (over labels and synonyms, showing which synonym matched) and the query page.
// No external scripts; the search index is inlined in the page, so it works from a file too.
(function () {
  "use strict";
  function norm(s) {
    return s.normalize("NFKC").toLowerCase().replace(/['\u2019]/g, "").replace(/&/g, " and ")
      .replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }
  var data = document.getElementById("search-index");
  var input = document.getElementById("q");
  if (data && input) {
    var index = JSON.parse(data.textContent);
    var results = document.getElementById("results");
    var show = function () {
      var q = norm(input.value);
      results.innerHTML = "";
      if (!q) { return; }
      var hits = [];
      index.forEach(function (entry) {
        var words = [entry.label].concat(entry.synonyms);
        for (var i = 0; i < words.length; i++) {
          var w = norm(words[i]);
          var pos = w.indexOf(q);
          if (pos !== -1) {
            hits.push({entry: entry, matched: words[i], label: i === 0, score: (pos === 0 ? 0 : 1) + (w === q ? -2 : 0) + (i === 0 ? 0 : 0.5)});
            break;
          }
        }
      });
      hits.sort(function (a, b) { return a.score - b.score || a.entry.label.localeCompare(b.entry.label); });
      hits.slice(0, 20).forEach(function (hit) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "c/" + hit.entry.id + ".html";
        a.textContent = hit.entry.label;
        li.appendChild(a);
        var type = document.createElement("span");
        type.className = "type";
        type.textContent = hit.entry.type;
        li.appendChild(type);
        if (!hit.label) {
          var m = document.createElement("div");
          m.className = "matched";
          m.textContent = "matched synonym: " + hit.matched;
          li.appendChild(m);
        }
        results.appendChild(li);
      });
      if (!hits.length) {
        var none = document.createElement("li");
        none.textContent = "No concept matches.";
        results.appendChild(none);
      }
    };
    input.addEventListener("input", show);
    show();
  }

  var library = document.getElementById("queries");
  var select = document.getElementById("library");
  if (library && select) {
    var queries = JSON.parse(library.textContent);
    var area = document.getElementById("sparql");
    var status = document.getElementById("status");
    var table = document.getElementById("table");
    var load = function () { area.value = queries[select.value].text; };
    select.addEventListener("change", load);
    load();
    document.getElementById("run").addEventListener("click", function () {
      status.textContent = "running…";
      table.innerHTML = "";
      fetch("sparql", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json"}, body: "query=" + encodeURIComponent(area.value)})
        .then(function (r) { return r.ok ? r.json() : r.text().then(function (t) { throw new Error(t); }); })
        .then(function (res) {
          if ("boolean" in res) { status.textContent = res.boolean ? "yes" : "no"; return; }
          var vars = res.head.vars, rows = res.results.bindings;
          status.textContent = rows.length + " rows";
          var t = document.createElement("table"), tr = document.createElement("tr");
          vars.forEach(function (v) { var th = document.createElement("th"); th.textContent = v; tr.appendChild(th); });
          t.appendChild(tr);
          rows.forEach(function (row) {
            var r = document.createElement("tr");
            vars.forEach(function (v) { var td = document.createElement("td"); td.textContent = row[v] ? row[v].value : ""; r.appendChild(td); });
            t.appendChild(r);
          });
          table.appendChild(t);
        })
        .catch(function (e) { status.textContent = "Could not run the query: " + e.message; });
    });
  }
})();
