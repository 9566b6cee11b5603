"""What a new user meets at the terminal: clear messages and exit codes, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_parse_of_a_missing_file_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "missing.xml"]) == 1
    err = capsys.readouterr().err
    assert "cannot read missing.xml" in err and "Traceback" not in err


def test_a_filter_without_a_value_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "moisson.toml"
    config.write_text('[store]\nurl = "sqlite:///var/s.db"\n[index]\nurl = "sqlite:///var/i.db"\n')
    assert main(["--config", str(config), "search", "eau", "--filter", "theme"]) == 2
    assert "--filter needs FACET=VALUE" in capsys.readouterr().err


def test_search_takes_a_negative_bbox_page_sort_and_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "moisson.toml"
    config.write_text('[store]\nurl = "sqlite:///var/s.db"\n[index]\nurl = "sqlite:///var/i.db"\n')
    argv = ["--config", str(config), "search", "eau", "--bbox", "-5,47,-1,49", "--page", "2"]
    argv += ["--sort", "date", "--from", "2015", "--to", "2024-06-30", "--json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert '"page": 2' in out and '"sort": "date"' in out


def test_tokens_create_says_which_line_turns_tokens_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "moisson.toml"
    config.write_text('[store]\nurl = "sqlite:///var/s.db"\n[index]\nurl = "sqlite:///var/i.db"\n')
    assert main(["--config", str(config), "tokens", "create", "alice"]) == 0
    assert 'mode = "token"' in capsys.readouterr().err


def test_a_second_server_on_a_busy_port_says_the_port_is_in_use(tmp_path: Path) -> None:
    config = tmp_path / "moisson.toml"
    config.write_text('[store]\nurl = "sqlite:///var/s.db"\n[index]\nurl = "sqlite:///var/i.db"\n')
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipeline.cli",
                "--config",
                str(config),
                "serve",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert done.returncode == 2
    assert f"cannot serve on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr
