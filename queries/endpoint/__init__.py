"""The SPARQL 1.1 Protocol endpoint (``mskg serve``) and the worker processes that run its queries."""
