"""Data package: the keyword -> theme rules (`theme-rules.yaml`) and the OpenSearch index
template (`opensearch-index.json`).

A package only so that these files ship inside the wheel and are found with
`importlib.resources`; it holds no code. Admin rule edits never land here: they are written
to the data folder (`[data] dir`).
"""
