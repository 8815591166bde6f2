"""Where the server's socket lives, and the private folder around it.

`$XDG_RUNTIME_DIR/sao/sao.sock`, else `/tmp/sao-$UID/sao.sock`. The folder is
0700 and the socket 0600: whoever can connect can make the server read and
write files as this user, so nobody else may reach it.

Pitfall: `/tmp/sao-$UID` is guessable, so another user could create it first and
watch or replace our socket; a folder we do not own is refused, never reused.
Unix socket paths are limited to about 107 bytes (sun_path), so deep test
folders can be too long; `socket_path_error` says so plainly.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from engine.errors import UsageError

SOCKET_NAME = "sao.sock"
MAX_SOCKET_PATH = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux


def default_socket_path() -> Path:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(runtime) / "sao" if runtime else Path(f"/tmp/sao-{os.getuid()}")
    return folder / SOCKET_NAME


def socket_path(spec: str | os.PathLike | None = None) -> Path:
    """`--socket PATH` (or `--server PATH`) if given, else the default location."""
    path = Path(spec).expanduser() if spec else default_socket_path()
    if len(os.fsencode(str(path))) > MAX_SOCKET_PATH:
        raise UsageError(f"{path}: a socket path must be at most {MAX_SOCKET_PATH} bytes long; choose a shorter one")
    return path


def lock_path(sock: Path) -> Path:
    """The lock a running server holds for its lifetime (see server.claim_socket)."""
    return sock.with_name(sock.name + ".lock")


def prepare_folder(sock: Path) -> None:
    """Create the socket's folder (0700) when missing. The default folder must also be
    ours and private, and is tightened when too open; a folder named with --socket is
    the user's choice and is left as it is (the socket itself is 0600)."""
    folder = sock.parent
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError as e:
        raise UsageError(f"{folder}: cannot create the server's folder ({e.strerror})") from None
    if sock != default_socket_path():
        return
    if st.st_uid != os.getuid():
        raise UsageError(f"{folder}: belongs to another user, so the server will not put its socket there",
                         hint="Set XDG_RUNTIME_DIR, or pass --socket PATH in a folder of your own.")
    if stat.S_IMODE(st.st_mode) != 0o700:
        folder.chmod(0o700)
