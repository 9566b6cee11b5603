"""The theme thesaurus as code: the `moisson thesaurus diff | impact | apply` and `moisson
store snapshot` commands a software forge runs on every merge request (forge/cli.py), and
reading thesaurus versions from git revisions (forge/revisions.py). The work itself is done
by pure modules of the indexer: thesaurus_diff, theme_impact, theme_reports, snapshot and
theme_publish."""
