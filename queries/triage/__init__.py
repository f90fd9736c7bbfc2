"""Triage: presentations in, answers out, and the explanations that justify them.

- :mod:`.records` — ``Presentation`` and the answer records (``RuleResult``, ``Recommendation``, ``TriageResult``);
- :mod:`.policy` — the one policy every engine shares (most urgent wins, red flags stop training, safety nets);
- :mod:`.sparql` — rules evaluated by the named SPARQL queries; :mod:`.compiled` — the same rules compiled to data;
- :mod:`.batch` — a cohort, line by line;
- :mod:`.explain` — the networkx view and the paths to the article's words; :mod:`.report` — why (not) one rule.

Records flow one way: engines make results, the explainer annotates them, views in ``mskg.cli`` render them.
"""
