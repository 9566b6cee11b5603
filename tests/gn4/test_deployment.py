"""The datahub service of compose.yaml points at a facade Moisson serves, from an origin
Moisson's CORS setting allows (Docker does not run here: the files are read)."""

from __future__ import annotations

import json
import tomllib
from urllib.parse import urlsplit

import yaml

from moisson.config import Settings
from tests.conftest import ROOT


def test_the_compose_datahub_calls_a_mounted_facade_from_an_allowed_origin() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    datahub = compose["services"]["datahub"]
    host_file, target = datahub["volumes"][0].split(":")[:2]
    assert target == "/conf/default.toml"  # where the image's entrypoint reads it
    config = tomllib.loads((ROOT / host_file).read_text(encoding="utf-8"))
    api_url = urlsplit(config["global"]["geonetwork4_api_url"])
    assert api_url.path in {m.prefix for m in Settings().gn4}
    api_port = compose["services"]["api"]["ports"][0].split(":")[1]
    assert api_url.port == int(api_port)
    origins = json.loads(compose["services"]["api"]["environment"]["MOISSON_API__CORS_ORIGINS"])
    datahub_port = datahub["ports"][0].split(":")[1]
    assert f"http://localhost:{datahub_port}" in origins
