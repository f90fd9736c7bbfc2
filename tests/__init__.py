"""mskg tests: unit, golden and property tests of the knowledge base."""
