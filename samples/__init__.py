"""Data package: the fictional sample catalogues and the configuration that harvests them
(`moisson.toml`, the default when no config file is named; see README.md).

A package only so that the demo works from an installed wheel, outside any checkout.
"""
