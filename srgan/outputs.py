"""What a command may write, replace or delete: one rule for every command, written once.

1. A command writes only the outputs it names: the files of `-o/--out`, and for a folder
   output only the file names the command itself writes there.
2. An existing output is replaced only with `--overwrite`; without it the command stops (or,
   for one image of a batch, reports it) before any work, naming the file.
3. An input is never replaced, with or without `--overwrite` (upscale DIR -o DIR, x.png -o x.png).
4. A folder the command did not create is never deleted. `srgan export --out DIR` writes into
   a new or empty folder, or, with `--overwrite`, over a previous export (recognised by the
   srgan_export.json it wrote; its own file names only: other files in it are left alone); any
   other non-empty folder is refused, also one holding only files named like an export's.
5. A run folder belongs to its run (srgan.runs): `--overwrite` deletes that run's files, and only
   those; temporary files of its own that a killed process left are removed when the folder is
   opened again.

Every output is written atomically (srgan.atomic): a temporary file in the destination folder,
renamed into place, so an interruption leaves the old file or the new one.

The checks raise OutputError (a user error: one line naming the file, exit status 2).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputError(OSError):
    """An output path that cannot be written as asked (exists, is an input, a bad path)."""


def output_path(path: str | os.PathLike, what: str = "output") -> Path:
    """`path` as a Path, refusing the empty string (which would silently mean the current folder)
    and a parent that is a file ("a/b.png" where "a" is a file)."""
    if str(path).strip() == "":
        raise OutputError(f"empty {what} path")
    path = Path(path)
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise OutputError(f"{path}: {parent} is a file, not a folder")
            break
    return path


def make_folder(folder: str | os.PathLike, *, output: str | os.PathLike | None = None) -> Path:
    """mkdir -p `folder`, or an OutputError naming the output it is for and why ("ro/sub/a.png:
    cannot create folder ro/sub (Read-only file system)"), not a bare errno naming the folder."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a component is a file: output_path says which
        output_path(Path(output) if output is not None else folder / "x")
        raise
    except OSError as e:
        raise OutputError(f"{output if output is not None else folder}: cannot create folder {folder} "
                          f"({e.strerror or e})") from None
    return folder


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths are the same file (hard links and symbolic links included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist: compare the resolved names
        try:
            return Path(a).resolve() == Path(b).resolve()
        except (OSError, RuntimeError):  # a symbolic link loop: it is no file, so not the other one
            return False


class InputFiles:
    """The files a command reads, for rule 3: `path in inputs` is same_file against each of
    them, in one stat per output (a batch of thousands of images compares every output with
    every input)."""

    def __init__(self, paths):
        self._ids: set[tuple[int, int]] = set()
        self._names: set[Path] = set()
        for p in map(Path, paths):
            try:
                st = os.stat(p)
                self._ids.add((st.st_dev, st.st_ino))
            except OSError:
                pass
            try:
                self._names.add(p.resolve())
            except (OSError, RuntimeError):  # a link loop: no file, so no output can be it
                pass

    def __contains__(self, path) -> bool:
        try:
            st = os.stat(path)
        except OSError:  # not there (yet): compare the resolved names, as same_file does
            try:
                return Path(path).resolve() in self._names
            except (OSError, RuntimeError):
                return False
        return (st.st_dev, st.st_ino) in self._ids


def is_input(path: str | os.PathLike, inputs=()) -> bool:
    """Whether `path` is one of `inputs` (an InputFiles, or any iterable of paths)."""
    if isinstance(inputs, InputFiles):
        return path in inputs
    return any(same_file(path, source) for source in inputs)


def check_output_file(path: str | os.PathLike, *, overwrite: bool, inputs=(), what: str = "output") -> Path:
    """Rules 2 and 3 for one output file: raise OutputError if `path` may not be written.

    Args:
        path: the output file.
        overwrite: the command's `--overwrite`.
        inputs: files the command reads; none of them is ever replaced.
        what: the output's name in messages ("output", "model card", ...).
    """
    path = output_path(path, what)
    if is_input(path, inputs):
        raise OutputError(f"{path}: is an input of this command; an input is never replaced, even with --overwrite "
                          "(choose another output)")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; the {what} is a file")
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise OutputError(f"{path}: exists; not replaced (add --overwrite to replace it)")
    _check_writable(path.parent)
    return path


def _check_writable(folder: Path) -> None:
    """An existing folder the output cannot be written into (read-only) is said before the
    command's work, not after minutes of it; a folder still to be made is created when written."""
    if not folder.is_dir():
        return
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise OutputError(f"{folder}: cannot write there ({e.strerror or e})") from None


def check_output_files(paths, *, overwrite: bool, inputs=()) -> list[Path]:
    """check_output_file for every file an output consists of (weights + card + log), all
    checked before anything is written."""
    return [check_output_file(p, overwrite=overwrite, inputs=inputs) for p in paths]


def check_output_folder(folder: str | os.PathLike, *, owned: set[str], marker: str, overwrite: bool, what: str = "output folder",
                        recognise=None) -> Path:
    """Rule 4 for a folder output: raise OutputError unless `folder` is missing, empty, or (with
    `overwrite`) holds a previous output of the same command, recognised by its `marker` file.

    Args:
        folder: the output folder.
        owned: file names the command writes into it (only these are ever replaced).
        marker: the file whose presence marks a previous output of this command. Files with
            the command's names but no marker are the user's (their own generator.json): the
            folder is refused, with or without `overwrite`.
        overwrite: the command's `--overwrite`.
        recognise: tells a marker file the command wrote from a file of that name that the
            user put there (path -> bool); default: any file of that name.
    """
    folder = output_path(folder, what)
    if not folder.exists():
        return folder
    if not folder.is_dir():
        raise OutputError(f"{folder}: is a file, not a folder")
    entries = [p.name for p in folder.iterdir()]
    if not entries:
        return folder
    # An earlier output: its marker file, as the command wrote it (one interrupted while it
    # replaced the files leaves a marker that says so).
    ours = marker in entries and (recognise is None or recognise(folder / marker))
    if not ours:
        shown = ", ".join(sorted(entries)[:4]) + (" ..." if len(entries) > 4 else "")
        earlier = f"no {marker} written by an earlier export" if marker in entries else f"no earlier {marker}"
        raise OutputError(f"{folder}: is not empty ({shown}) and holds {earlier}; its files are not replaced "
                          f"or deleted: choose a new or empty {what}")
    if not overwrite:
        ours = sorted(name for name in entries if name in owned)
        raise OutputError(f"{folder}: holds an earlier output ({', '.join(ours)}); add --overwrite to replace those files "
                          "(other files in it are left alone)")
    return folder
