"""Data package: the company theme thesaurus (`themes.ttl`, SKOS in Turtle).

A package only so that the thesaurus ships inside the wheel and is found with
`importlib.resources` wherever Moisson is installed; it holds no code.
"""
