"""Files the package writes: atomically, inside the folder the user named, never through a symbolic link."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["write_file"]


def write_file(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, never through a symbolic link.

    The bytes go to a new temporary file in the same directory, which then
    replaces ``path`` in one step (:func:`os.replace`): a reader sees the old
    file or the new one, never half of one, a failure leaves no partial
    file, and a symbolic link at ``path`` is replaced, not followed. The new
    file gets the permissions a newly created file would get.
    """
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for any new file
            break
        except FileExistsError:
            continue
        except OSError as err:  # name the user's path, not the temporary one
            raise type(err)(err.errno, err.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError) and err.errno is not None:
            raise type(err)(err.errno, err.strerror, str(path)) from None
        raise
    return path
