"""File helpers: atomic writes, content digests, and clear messages for unusable paths.

Atomic writes go to a temporary file in the destination folder, renamed into place: an
interruption (Ctrl-C, SIGKILL, a full disk) leaves either the old file or the new one, never
half a file. Used for checkpoints, weights, model cards and images. A temporary that a killed
writer left behind is removed by the next write of the same file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .interrupt import deferred_interrupts
from .outputs import OutputError, make_folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike, *, replace: bool = True):
    """Yield a temporary path next to `path`; rename it onto `path` when the block succeeds.

    A replaced file keeps its permissions (a private 0600 file stays private); a new one gets
    the usual 0666 minus the umask, not mkstemp's private 0600.

    replace=False (a command without --overwrite) puts the file in place only if `path` still
    does not exist: one checked before a long computation may have appeared since. Raises
    outputs.OutputError then, and nothing is replaced.
    """
    path = Path(path)
    make_folder(path.parent, output=path)  # a read-only place or a file in the way: named, one line
    remove_stale_temporaries(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{writer_tag()}.", suffix=".tmp", dir=path.parent)
    except OSError as e:  # a read-only folder: name the output, not our temporary file
        raise OSError(f"{path}: cannot write there ({e.strerror or e})") from None
    os.close(fd)
    try:
        yield tmp
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:  # a new file (or a broken link, which is replaced)
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        if replace:
            os.replace(tmp, path)
        else:
            _link_if_absent(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def writer_tag() -> str:
    """"<pid>@<host>": a pid means something on its own machine only (a folder can be shared over
    NFS, or between containers), so a temporary is judged dead only by a process on its host."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"
    return f"{os.getpid()}@{host}"


def temporary_pattern(names: str, host: str | None = None) -> re.Pattern:
    """The names this module gives the temporaries of files whose names match the regex `names`:
    ".<name>.<pid>@<host>.<mkstemp's 8 random characters>.tmp" (writer_tag), the pid the
    pattern's last group; `host` None: any host's."""
    host_regex = re.escape(host) if host is not None else r"[A-Za-z0-9-]+"
    return re.compile(rf"\.(?:{names})\.(\d+)@{host_regex}\.[a-z0-9_]{{8}}\.tmp")


def remove_stale_temporaries(path: Path, *, folders: bool = False) -> None:
    """Remove the temporaries of `path` that a killed writer left (SIGKILL, a power cut: no
    `finally` ran). Only files (folders=True: folders) named exactly as atomic_path names them on
    this host, ".<name>.<pid>@<host>.<mkstemp's 8 random characters>.tmp", and only if process
    <pid> is gone: a live writer's temporary, another host's and anything else are never touched."""
    pid_now, host = writer_tag().split("@", 1)
    pattern = temporary_pattern(re.escape(path.name), host)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if not match or match.group(1) == pid_now or _alive(int(match.group(1))):
            continue
        stale = path.parent / name
        # only the kind this writer makes: files (atomic_path, write_together) or, with folders=True,
        # folders (export_generator's temporary folder); anything else of that name is not ours
        if stale.is_symlink() or not (stale.is_dir() if folders else stale.is_file()):
            continue
        try:
            shutil.rmtree(stale) if folders else os.remove(stale)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's: alive
        return True
    return True


def _link_if_absent(tmp: str, path: Path) -> None:
    """Give `tmp` the name `path` unless `path` exists (a hard link fails on an existing name
    in one step, with no window in which another writer's file could be replaced)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputError(f"{path}: exists; not replaced (add --overwrite to replace it)") from None
    except OSError:  # a file system without hard links: check, then rename
        if path.exists() or path.is_symlink():
            raise OutputError(f"{path}: exists; not replaced (add --overwrite to replace it)") from None
        os.replace(tmp, path)


class SetWrittenInterrupt(KeyboardInterrupt):
    """Ctrl-C or SIGTERM that arrived while write_together put a set in place: delivered once the
    set was whole, with a message saying so."""


def write_together(files, *, replace: bool = True) -> None:
    """Write files that belong together (weights, their model card, their log) as one set: a
    failure (a full disk, an error, Ctrl-C while writing) leaves the old set untouched.

    Every file is first written to a temporary name in its own folder by its writer; only when
    all are written are they renamed into place (Ctrl-C and SIGTERM held back meanwhile), in the
    given order, so put the file that vouches for the others (the card) last. Its old version is removed before the first
    rename: a process killed between the renames leaves files without a card, never new
    weights under an old card.

    Args:
        files: (path, writer) pairs; writer(tmp) writes the file to the str path `tmp`. A
            writer None removes an existing file at `path` (a member of an earlier set that the
            new one does not have, e.g. a log).
        replace: False (a command without --overwrite): every path must still be free when the
            set is put in place (outputs.OutputError otherwise, and nothing is left behind).

    Raises:
        OSError: naming the file that could not be written ("out.json: cannot write (No space
            left on device)"); writer errors that are not OSError pass through unchanged.
    """
    files = [(Path(path), writer) for path, writer in files]
    temps: dict[Path, str] = {}
    try:
        for path, writer in files:
            if writer is None:
                continue
            with _naming(path):
                make_folder(path.parent, output=path)
                remove_stale_temporaries(path)
                fd, temps[path] = tempfile.mkstemp(prefix=f".{path.name}.{writer_tag()}.", suffix=".tmp", dir=path.parent)
                os.close(fd)
                writer(temps[path])
                try:
                    mode = stat.S_IMODE(os.stat(path).st_mode)
                except OSError:  # a new file: the usual mode, not mkstemp's private 0600
                    mode = 0o666 & ~_umask()
                os.chmod(temps[path], mode)
        if not replace:
            taken = [(path, writer) for path, writer in files if path.exists() or path.is_symlink()]
            if taken:
                path, writer = taken[0]
                if writer is None:  # say what --overwrite would do to it: remove, not replace
                    raise OutputError(f"{path}: exists, and the new set has no such file; kept (with --overwrite it is "
                                      "removed, since it would pass for the new set's)")
                raise OutputError(f"{path}: exists; not replaced (add --overwrite to replace it)")
            placed = []
            try:
                for path, writer in files:
                    if writer is not None:
                        _link_if_absent(temps[path], path)
                        placed.append(path)
            except BaseException:
                for path in placed:  # ours, linked a moment ago: the set goes in whole or not at all
                    path.unlink(missing_ok=True)
                raise
            return
        # Ctrl-C or SIGTERM between the renames would leave new weights beside the old log and no
        # card (hostile round s23 #11): they are held back until the set is in place, and then
        # stop the command with a message that says so (it was a bare "interrupted", s24 #5).
        try:
            with deferred_interrupts():
                last = files[-1][0]
                if len(files) > 1 and (last.exists() or last.is_symlink()):
                    last.unlink()
                for path, writer in files:
                    with _naming(path):
                        if writer is None:
                            path.unlink(missing_ok=True)
                        else:
                            os.replace(temps[path], path)
        except KeyboardInterrupt as e:
            raise SetWrittenInterrupt(f"{last}: its set was written whole before stopping") from e
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.remove(tmp)


@contextmanager
def _naming(path: Path):
    """An OSError inside becomes one naming `path`, the output, with the system's reason (not
    a bare "[Errno 28] No space left on device", nor our temporary file's name)."""
    try:
        yield
    except OutputError:
        raise
    except OSError as e:
        if e.errno is None and str(e).startswith(f"{path}:"):
            raise
        error = OSError(f"{path}: cannot write ({e.strerror or e})")
        error.errno = e.errno  # kept for callers that test it (ENOSPC); the message stays one line
        raise error from None


def copy_atomic(source: str | os.PathLike, destination: str | os.PathLike) -> None:
    """Copy a file's bytes to `destination` atomically."""
    with atomic_path(destination) as tmp:
        shutil.copyfile(source, tmp)


def write_json(path: str | os.PathLike, data: dict) -> None:
    """Write JSON (indented, keys in the dict's order) atomically."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=False)
        f.write("\n")


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in 1 MiB blocks (e.g. "sha256", "md5").

    Raises path_error's OSError for anything but a regular file: a named pipe would block the
    read forever (opened without blocking here, then refused), a device would never end."""
    digest = hashlib.new(algorithm)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise path_error(path)
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def first_line(error: BaseException, default: str | None = None, limit: int | None = None) -> str:
    """The first line of `error`'s message, for a one-line report (the command line prints one
    line per error; a multi-line message was cut mid-sentence); `default` (else the error's type
    name) when it has none; at most `limit` characters."""
    lines = str(error).strip().splitlines()
    line = lines[0] if lines else (type(error).__name__ if default is None else default)
    return line[:limit] if limit is not None else line


def path_error(path: str | os.PathLike, what: str = "file") -> OSError:
    """The error for a path that cannot be used as a `what` ("weights file", "folder", ...),
    saying why: missing, a folder (or a file where a folder is expected), a symbolic link loop,
    a broken link, no permission."""
    path = Path(path)
    want_dir = what == "folder" or what.endswith(" folder")
    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return OSError(f"{path}: symbolic link loop")
        if e.errno == errno.ENOENT and os.path.islink(path):
            return FileNotFoundError(f"{path}: broken symbolic link (its target {os.readlink(path)} is missing)")
        if e.errno == errno.ENOENT:
            return FileNotFoundError(f"{path}: no such {what}")
        if e.errno == errno.EACCES:
            return PermissionError(f"{path}: permission denied")
        return OSError(f"{path}: {e.strerror}")
    if stat.S_ISDIR(st.st_mode) and not want_dir:
        return IsADirectoryError(f"{path}: is a folder, not a {what}")
    if want_dir and not stat.S_ISDIR(st.st_mode):
        return NotADirectoryError(f"{path}: is a file, not a {what}")
    return OSError(f"{path}: not a regular {what}")


def paddle_path(path: str | os.PathLike, what: str = "folder") -> str:
    """`path` as the str Paddle's C++ side takes, refusing a name that is not UTF-8 (a Latin-1
    'café' decoded by os.fsdecode into lone surrogates), which Paddle rejects with a traceback."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(text).decode("utf-8", "replace")
        raise ValueError(f"{shown}: the {what}'s name is not UTF-8, and Paddle reads and writes only UTF-8 paths; "
                         "rename it or choose another") from None
    return text


def require_file(path: str | os.PathLike, what: str = "file") -> Path:
    """`path` as a Path if it is a readable regular file, else raise path_error(path, what)."""
    path = Path(path)
    if path.is_file():
        return path
    raise path_error(path, what)
