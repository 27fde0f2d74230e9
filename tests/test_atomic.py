"""srgan.atomic: the file helpers every command writes and names paths with. Written after
mutation testing (benchmarks/mutation.md): copy_atomic had no test, write_json's layout and
path_error's messages for folders, special files and unusual errors were not pinned."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

import srgan.atomic as atomic
from srgan.atomic import atomic_path, copy_atomic, file_digest, path_error, require_file, write_json


def test_copy_atomic_copies_the_bytes_into_new_folders_and_leaves_no_temp_file(tmp_path):
    source = tmp_path / "card.json"
    source.write_bytes(b'{"step": 25}\n\x00\xff')
    copy_atomic(source, tmp_path / "run" / "sub" / "init.json")
    assert (tmp_path / "run" / "sub" / "init.json").read_bytes() == source.read_bytes()
    assert [p.name for p in (tmp_path / "run" / "sub").iterdir()] == ["init.json"]
    assert source.read_bytes() == b'{"step": 25}\n\x00\xff'  # the source is left alone


def test_copy_atomic_of_a_missing_source_keeps_the_old_destination(tmp_path):
    (tmp_path / "init.json").write_text("old")
    with pytest.raises(FileNotFoundError):
        copy_atomic(tmp_path / "missing.json", tmp_path / "init.json")
    assert (tmp_path / "init.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["init.json"]


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    """--overwrite of a private file (0600) or a read-only one the user shares (0444): the new
    content keeps the file's mode, as cp and editors do; before, the atomic rename gave it the
    umask's default (0644), opening a private image or card to every user of the machine."""
    private, new = tmp_path / "private.json", tmp_path / "new.json"
    private.write_text("old")
    private.chmod(0o600)
    write_json(private, {"step": 1})
    write_json(new, {"step": 1})
    assert json.loads(private.read_text()) == {"step": 1}
    assert oct(private.stat().st_mode & 0o777) == oct(0o600)
    assert oct(new.stat().st_mode & 0o777) == oct(0o666 & ~atomic._umask())  # a new file: the usual mode


@pytest.mark.parametrize("hard_links", [True, False])
def test_replace_false_never_replaces_a_file_that_exists_at_write_time(tmp_path, monkeypatch, hard_links):
    """atomic_path(replace=False), for commands without --overwrite: the file is put in place
    only if the name is still free (by a hard link; by a check and a rename where the file
    system has none); an existing file is kept and no temporary file is left."""
    from srgan.outputs import OutputError

    if not hard_links:
        monkeypatch.setattr(os, "link", lambda *a: (_ for _ in ()).throw(PermissionError("no hard links here")))
    (tmp_path / "taken.txt").write_text("the user's")
    with pytest.raises(OutputError, match=r"taken\.txt: exists; not replaced"):
        with atomic.atomic_path(tmp_path / "taken.txt", replace=False) as tmp:
            Path(tmp).write_text("new")
    with atomic.atomic_path(tmp_path / "free.txt", replace=False) as tmp:
        Path(tmp).write_text("new")
    assert (tmp_path / "taken.txt").read_text() == "the user's" and (tmp_path / "free.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["free.txt", "taken.txt"]


def test_write_json_is_indented_in_the_dicts_order_with_a_final_newline(tmp_path):
    # Model cards and config.json are read by people and diffed in git: one key a line, the
    # writer's order (step before val, not sorted), a newline at the end.
    write_json(tmp_path / "card.json", {"step": 2, "val": {"psnr": 25.0, "niqe": None}, "data": ["T91"]})
    assert (tmp_path / "card.json").read_text() == (
        '{\n  "step": 2,\n  "val": {\n    "psnr": 25.0,\n    "niqe": null\n  },\n  "data": [\n    "T91"\n  ]\n}\n'
    )
    assert json.loads((tmp_path / "card.json").read_text())["val"]["psnr"] == 25.0


def test_file_digest_is_the_named_hash_of_the_bytes(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc" * (1 << 19))  # 1.5 MiB: more than one read block
    import hashlib

    assert file_digest(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_digest(path, "md5") == hashlib.md5(path.read_bytes()).hexdigest()


# --- path_error: what is wrong with a path, in one line naming it --------------------------------
def test_a_missing_path_says_no_such_file_or_what_was_wanted(tmp_path):
    error = path_error(tmp_path / "nope.png")
    assert isinstance(error, FileNotFoundError) and str(error) == f"{tmp_path / 'nope.png'}: no such file"
    assert str(path_error(tmp_path / "nope", "run folder")) == f"{tmp_path / 'nope'}: no such run folder"


def test_a_file_where_a_folder_is_wanted_and_the_other_way_round(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "d").mkdir()
    for what in ("folder", "run folder"):
        error = path_error(tmp_path / "a.txt", what)
        assert isinstance(error, NotADirectoryError) and str(error) == f"{tmp_path / 'a.txt'}: is a file, not a {what}"
    error = path_error(tmp_path / "d", "image file")
    assert isinstance(error, IsADirectoryError) and str(error) == f"{tmp_path / 'd'}: is a folder, not a image file"


def test_a_special_file_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    error = path_error(tmp_path / "pipe", "weights file")
    assert type(error) is OSError and str(error) == f"{tmp_path / 'pipe'}: not a regular weights file"
    with pytest.raises(OSError, match="pipe: not a regular checkpoint"):
        require_file(tmp_path / "pipe", "checkpoint")


def test_links_broken_and_looping(tmp_path):
    (tmp_path / "dangling").symlink_to(tmp_path / "gone.png")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert str(path_error(tmp_path / "dangling")) == (
        f"{tmp_path / 'dangling'}: broken symbolic link (its target {tmp_path / 'gone.png'} is missing)")
    assert str(path_error(tmp_path / "a")) == f"{tmp_path / 'a'}: symbolic link loop"


def test_other_errors_are_named_with_the_systems_reason(tmp_path, monkeypatch):
    long = tmp_path / ("x" * 300)  # longer than a file name may be: ENAMETOOLONG
    error = path_error(long)
    assert type(error) is OSError and str(error) == f"{long}: {os.strerror(errno.ENAMETOOLONG)}"

    # no permission (tests may run as root, which stat never refuses: simulate the error)
    def refused(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(atomic.os, "stat", refused)
    error = path_error(tmp_path / "secret.png")
    assert isinstance(error, PermissionError) and str(error) == f"{tmp_path / 'secret.png'}: permission denied"


def test_require_file_returns_a_regular_file_as_a_path(tmp_path):
    (tmp_path / "w.safetensors").write_bytes(b"x")
    assert require_file(str(tmp_path / "w.safetensors")) == Path(tmp_path / "w.safetensors")
    with pytest.raises(FileNotFoundError, match=r"nope.safetensors: no such weights file$"):
        require_file(tmp_path / "nope.safetensors", "weights file")


def test_require_file_without_a_kind_says_no_such_file(tmp_path):
    # the default `what` is the plain word "file" (a mutation run found it unpinned)
    with pytest.raises(FileNotFoundError) as raised:
        require_file(tmp_path / "nope.png")
    assert str(raised.value) == f"{tmp_path / 'nope.png'}: no such file"
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match=r"d: is a folder, not a file$"):
        require_file(tmp_path / "d")


def test_an_unwritable_folder_is_named_by_the_output_not_a_temporary_file(tmp_path, monkeypatch):
    """A read-only folder: the error names the file the user asked for (it showed our
    `.name.random.tmp` and was taken for a problem of the input)."""
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / ".x.png.abc.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(OSError) as caught:
        with atomic_path(tmp_path / "x.png"):
            pass
    assert str(caught.value) == f"{tmp_path / 'x.png'}: cannot write there (Read-only file system)"


def test_a_folder_that_cannot_be_created_is_named_with_the_output_and_the_reason(tmp_path, monkeypatch):
    """Hostile test s20 F2: `-o ro/sub/a.png` on a read-only disk said "<input>: [Errno 30]
    Read-only file system: 'ro/sub'" (the input blamed, a raw errno); export and train the same."""
    import errno

    from srgan.runs import RunFolder, RunFolderError

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(OSError) as caught:
        with atomic_path(tmp_path / "sub" / "a.png"):
            pass
    assert str(caught.value) == f"{tmp_path / 'sub' / 'a.png'}: cannot create folder {tmp_path / 'sub'} (Read-only file system)"
    with pytest.raises(RunFolderError, match=r"run: cannot create the run folder \(Read-only file system\)$"):
        RunFolder(tmp_path / "run").open()


def test_an_unwritable_output_folder_is_refused_before_the_work(tmp_path, monkeypatch):
    """release and compare checked that an output did not exist, not that it could be written:
    minutes of scoring, then the error (hostile test D7)."""
    import errno
    import tempfile

    from srgan.outputs import OutputError, check_output_file

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    with pytest.raises(OutputError, match=f"{tmp_path}: cannot write there \\(Read-only file system\\)"):
        check_output_file(tmp_path / "card.png", overwrite=False)
    check_output_file(tmp_path / "new" / "card.png", overwrite=False)  # a folder still to be made: written later


# --- write_together: weights, card and log replaced as one set -----------------------------------
def _full_disk(tmp):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_set_that_cannot_be_written_whole_leaves_the_old_set_and_names_the_file(tmp_path):
    """Hostile test s17 #6: weights, card and log were written one after another, so a full disk
    at the card left new weights under the old card, with "[Errno 28] No space left on device"."""
    old = {"w.safetensors": "old weights", "w_log.jsonl": "old log", "w.json": "old card"}
    for name, text in old.items():
        (tmp_path / name).write_text(text)
    files = [(tmp_path / "w.safetensors", lambda tmp: Path(tmp).write_text("new weights")),
             (tmp_path / "w_log.jsonl", _full_disk),
             (tmp_path / "w.json", lambda tmp: Path(tmp).write_text("new card"))]
    with pytest.raises(OSError) as caught:
        atomic.write_together(files)
    assert str(caught.value) == f"{tmp_path / 'w_log.jsonl'}: cannot write ({os.strerror(errno.ENOSPC)})"
    assert caught.value.errno == errno.ENOSPC
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == old  # the old set, no temporary file


def test_a_set_is_put_in_place_whole_and_a_member_it_lacks_is_removed(tmp_path):
    (tmp_path / "w.json").write_text("old card")
    (tmp_path / "w.json").chmod(0o600)
    (tmp_path / "w_log.jsonl").write_text("an earlier release's log")
    atomic.write_together([(tmp_path / "w.safetensors", lambda tmp: Path(tmp).write_text("weights")),
                           (tmp_path / "w_log.jsonl", None),
                           (tmp_path / "w.json", lambda tmp: Path(tmp).write_text("card"))])
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"w.safetensors": "weights", "w.json": "card"}
    assert oct((tmp_path / "w.json").stat().st_mode & 0o777) == oct(0o600)  # a replaced file keeps its mode
    assert oct((tmp_path / "w.safetensors").stat().st_mode & 0o777) == oct(0o666 & ~atomic._umask())


def test_a_set_without_overwrite_goes_in_whole_or_not_at_all(tmp_path):
    """replace=False: a file that appeared at one name meanwhile is kept, and the set's other
    files are not left behind (they would have no card, or a card for other weights)."""
    from srgan.outputs import OutputError

    (tmp_path / "w.json").write_text("the user's")
    with pytest.raises(OutputError, match=r"w\.json: exists; not replaced"):
        atomic.write_together([(tmp_path / "w.safetensors", lambda tmp: Path(tmp).write_text("weights")),
                               (tmp_path / "w.json", lambda tmp: Path(tmp).write_text("card"))], replace=False)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"w.json": "the user's"}


def test_the_next_write_removes_what_a_killed_writer_left_and_nothing_else(tmp_path):
    """SIGKILL mid-write (no `finally` runs) left ".x.png.<random>.tmp" forever, a checkpoint's
    hundreds of MB each time: the next write of that file removes temporaries of dead writers on
    this host only, named exactly as atomic_path names them; a live writer's, another host's (a
    pid means nothing there), another file's and the user's own files that merely look alike stay."""
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    host = atomic.writer_tag().split("@", 1)[1]
    left = tmp_path / f".x.png.{dead_pid}@{host}.abc12_yz.tmp"
    live = tmp_path / f".x.png.{os.getppid()}@{host}.def456gh.tmp"
    elsewhere = tmp_path / f".x.png.{dead_pid}@another-host.abc12_yz.tmp"
    other = tmp_path / f".y.png.{dead_pid}@{host}.abc12_yz.tmp"
    mine = tmp_path / ".x.png.notes.tmp"
    alike = tmp_path / f".x.png.{dead_pid}.notes.tmp"  # the shape of an older temporary name, a user's file
    for f in (left, live, elsewhere, other, mine, alike):
        f.write_bytes(b"partial")
    folder = tmp_path / f".x.png.{dead_pid}@{host}.zz12_yzz.tmp"  # a folder of that shape: not a file writer's
    folder.mkdir()
    (folder / "notes.txt").write_text("the user's")
    with atomic_path(tmp_path / "x.png") as tmp:
        assert Path(tmp).name.startswith(f".x.png.{os.getpid()}@{host}.")  # the name the cleanup looks for
        Path(tmp).write_bytes(b"new")
    assert (tmp_path / "x.png").read_bytes() == b"new"
    assert not left.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, elsewhere.name, other.name, mine.name, alike.name, folder.name, "x.png"])
    assert (folder / "notes.txt").read_text() == "the user's"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_the_digest_of_a_named_pipe_is_refused_not_a_hang(tmp_path):
    """Hostile test s20 F9: `srgan upscale --weights pipe.safetensors` hung forever in silence: the
    cache key read the weights (a pipe without a writer blocks) before anything checked them."""
    os.mkfifo(tmp_path / "pipe.safetensors")
    with pytest.raises(OSError, match="pipe.safetensors: not a regular file"):
        file_digest(tmp_path / "pipe.safetensors")


def test_ctrl_c_between_the_renames_of_a_set_waits_until_the_set_is_in_place(tmp_path, monkeypatch):
    """Ctrl-C right after the weights' rename left new weights, no card and the old run's log
    (hostile round s23 #11); it is now delivered once the whole set is in place."""
    import signal

    old = {name: f"old {name}" for name in ("w.safetensors", "w_log.jsonl", "w.json")}
    for name, text in old.items():
        (tmp_path / name).write_text(text)
    real_replace, calls = os.replace, []

    def replace_then_interrupt(src, dst):
        real_replace(src, dst)
        calls.append(dst)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)  # the user's Ctrl-C, after the first file went in

    monkeypatch.setattr(atomic.os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt, match="w.json: its set was written whole before stopping"):
        atomic.write_together([(tmp_path / name, lambda tmp, n=name: Path(tmp).write_text(f"new {n}")) for name in old])
    assert len(calls) == 3  # every rename happened before the interrupt was delivered
    assert all((tmp_path / name).read_text() == f"new {name}" for name in old)
    assert not list(tmp_path.glob(".*.tmp"))
