"""The educators' views: concept cards, the hierarchy, graph exports and the static/served site."""
