"""What the tests and the benchmarks share: real peer servers (pycsw, pygeoapi) in their own
venvs, a throw-away PostgreSQL cluster, OpenSearch aliases, and a loopback HTTP replay
server. Not part of the installed package; `bench/` imports it, never `tests/`.
"""
