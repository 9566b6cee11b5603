"""A real Samba server (Debian `samba`) on a loopback port with a throw-away configuration:
one read-only share, one account in a private password database. Nothing of the machine's
own Samba configuration is read or changed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from testkit.ports import free_port

__all__ = ["SMB_PASSWORD", "SMB_USER", "SambaShare", "samba_share", "smbd_binary"]

SMB_USER = "nobody"  # an existing system account; its Samba password lives in our passdb
SMB_PASSWORD = "partage-sig"
SHARE = "sig"

CONFIG = """[global]
  workgroup = WORKGROUP
  server role = standalone server
  smb ports = {port}
  interfaces = 127.0.0.1
  bind interfaces only = yes
  private dir = {root}/private
  lock directory = {root}/lock
  state directory = {root}/state
  cache directory = {root}/cache
  pid directory = {root}/pid
  ncalrpc dir = {root}/ncalrpc
  log file = {root}/smbd.log
  passdb backend = tdbsam:{root}/private/passdb.tdb
  disable spoolss = yes
  load printers = no
  printing = bsd
  printcap name = /dev/null
  server min protocol = SMB2_10
[{share}]
  path = {data}
  read only = yes
  force user = root
  valid users = {user}
"""


@dataclass(frozen=True)
class SambaShare:
    port: int
    data: Path  # the shared folder on this machine

    def url(self, folder: str = "") -> str:
        return f"smb://127.0.0.1:{self.port}/{SHARE}" + (f"/{folder}" if folder else "")


def smbd_binary() -> str | None:
    return shutil.which("smbd") or (os.path.exists("/usr/sbin/smbd") and "/usr/sbin/smbd") or None


@contextmanager
def samba_share() -> Iterator[SambaShare]:
    smbd = smbd_binary()
    assert smbd is not None
    root = Path(tempfile.mkdtemp(prefix="moisson-smb-"))
    data = root / "data"
    for sub in ("private", "lock", "state", "cache", "pid", "ncalrpc", "data"):
        (root / sub).mkdir()
    port = free_port()
    config = root / "smb.conf"
    config.write_text(
        CONFIG.format(port=port, root=root, data=data, share=SHARE, user=SMB_USER),
        encoding="utf-8",
    )
    subprocess.run(
        ["smbpasswd", "-c", str(config), "-a", "-s", SMB_USER],
        input=f"{SMB_PASSWORD}\n{SMB_PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [smbd, "--foreground", "--no-process-group", "-s", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group: the forked children stop with it
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (root / "smbd.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"smbd did not start:\n{log}") from None
                time.sleep(0.1)
        yield SambaShare(port, data)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
