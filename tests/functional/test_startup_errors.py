"""Start-up errors of the server commands: one line on stderr naming what is wrong and what to
do, exit status 1, no traceback; `listening` only once the port is ours; real `--help`."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port, start_server, subprocess_env, write_config

BIN = Path(sys.executable).parent


def _run(
    command: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**subprocess_env(), **(env or {})},
    )


def _one_line_error(proc: subprocess.CompletedProcess[str], command: str) -> str:
    """The error line of a command that refused to start."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith(f"{command}: error:")]
    assert len(errors) == 1, proc.stderr
    assert "listening" not in proc.stderr, proc.stderr
    return errors[0]


def _config(tmp_path: Path, **sections: dict[str, object]) -> str:
    base: dict[str, dict[str, object]] = {"DEFAULT": {"state_path": str(tmp_path / "state")}}
    for name, options in sections.items():
        base.setdefault(name, {}).update(options)
    return str(write_config(tmp_path / "dockyard.conf", base))


def test_missing_config_file(tmp_path: Path) -> None:
    line = _one_line_error(
        _run("dockyard-api", "--config-file", str(tmp_path / "nope.conf")), "dockyard-api"
    )
    assert f"config file not found or not readable: {tmp_path / 'nope.conf'}" in line
    assert "Pass an existing --config-file" in line


def test_bad_config_value_in_a_file_and_in_the_environment(tmp_path: Path) -> None:
    config = _config(tmp_path, api={"port": "ninety"})
    line = _one_line_error(_run("dockyard", "--config-file", config), "dockyard")
    assert "bad configuration value [api] port: invalid literal for int()" in line
    assert "'ninety'" in line
    env = {"OS_CONDUCTOR__WORKERS": "many"}
    line = _one_line_error(
        _run("dockyard-conductor", "--config-file", _config(tmp_path), env=env),
        "dockyard-conductor",
    )
    assert "bad configuration value [conductor] workers:" in line


def test_unparsable_config_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.conf"
    path.write_text("[api\nport = 1\n")
    line = _one_line_error(_run("dockyard", "--config-file", str(path)), "dockyard")
    assert f"cannot parse config file {path}" in line
    assert "Invalid section" in line


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres:s3cret@127.0.0.1:{port}/dockyard",
        "mysql+pymysql://root:s3cret@127.0.0.1:{port}/dockyard",
    ],
)
def test_unreachable_database(tmp_path: Path, url: str) -> None:
    connection = url.format(port=free_port())  # nothing listens there
    config = _config(tmp_path, database={"connection": connection})
    line = _one_line_error(
        _run("dockyard-conductor", "--config-file", config), "dockyard-conductor"
    )
    assert "cannot use the database " in line
    assert "s3cret" not in line  # the password stays out of the output
    assert "Check [database] connection" in line


def test_unknown_database_dialect(tmp_path: Path) -> None:
    config = _config(tmp_path, database={"connection": "oracle9://db.example/x"})
    line = _one_line_error(_run("dockyard-api", "--config-file", config), "dockyard-api")
    assert "bad [database] connection:" in line


def test_busy_port_is_refused_before_listening(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = _config(tmp_path, api={"port": port})
        for command in ("dockyard", "dockyard-api"):
            line = _one_line_error(_run(command, "--config-file", config), command)
            assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in line
            assert "set [api] port" in line


def test_listening_is_logged_once_the_port_is_bound(tmp_path: Path) -> None:
    server = start_server(tmp_path, "dockyard-api", {"api": {"workers": 2}}, start_timeout=150)
    try:
        log = server.log.read_text()
        assert (
            f"Dockyard API listening on http://127.0.0.1:{server.url.rsplit(':', 1)[1]}/v1" in log
        )
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("dockyard", "Run Dockyard in one process"),
        ("dockyard-api", "Run the Dockyard API alone"),
        ("dockyard-conductor", "Run a Dockyard conductor"),
    ],
)
def test_help_says_what_the_command_does(command: str, says: str) -> None:
    proc = _run(command, "--help")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())  # argparse rewraps lines
    assert says in text
    assert "OS_<GROUP>__<OPTION>" in text and "/etc/dockyard/dockyard.conf" in text
    version = _run(command, "--version")
    assert version.stdout.strip() or version.stderr.strip()
