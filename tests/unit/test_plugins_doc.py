"""docs/plugins.md: every Python example runs, and the example output protocol serves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from moisson.config import IndexSettings, Settings, StoreSettings
from moisson.plugins import PLUG_POINTS
from pipeline.runtime import Runtime
from search_api.app import create_app
from search_api.state import state

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def _examples() -> dict[str, Any]:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 4
    namespace: dict[str, Any] = {"__name__": "plugins_doc"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)  # the asserts inside must hold
    return namespace


def test_every_plug_point_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, point in PLUG_POINTS.items():
        assert f"| `{name}` |" in text and point.group in text
        for builtin in point.builtins:
            assert f"`{builtin}`" in text or builtin.startswith("postgresql+")


def test_the_example_output_protocol_serves_through_the_runtime(tmp_path: Path) -> None:
    found = _examples()
    settings = Settings(
        store=StoreSettings(url=f"sqlite:///{tmp_path}/store.db"),
        index=IndexSettings(url=f"sqlite:///{tmp_path}/index.db"),
    )
    with Runtime(settings) as runtime:
        app = create_app(runtime)
        app.register_blueprint(found["RecordCount"].from_settings(settings).blueprint(state))
        answer = app.test_client().get("/count")
    assert answer.status_code == 200 and answer.get_json() == {"records": 0}
