"""The mskg instance graph: the source article, the curated facts, the builder and its provenance check."""
