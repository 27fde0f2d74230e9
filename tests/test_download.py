"""data/download.py: the T91 / BSDS200 manifest against the copies in ../shared, and the download
code against a local HTTP server or file:// URLs serving a tiny fake dataset (there is no internet
here): files of the user's are never replaced or deleted without --overwrite, an extraction counts
only when complete, damaged files are mismatches, permissions are the usual ones."""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import io
import os
import shutil
import stat
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, SHARED

spec = importlib.util.spec_from_file_location("download", REPO / "data" / "download.py")
download = importlib.util.module_from_spec(spec)
spec.loader.exec_module(download)


def test_datasets_manifest_matches_the_shared_copies():
    folder = SHARED / "datasets"
    if not folder.is_dir():
        pytest.skip(f"{folder} is missing: put the shared data next to the repo or set SRGAN_SHARED")
    rows = download.read_manifest(download.DATASETS_MANIFEST)
    listed = {row["path"] for row in rows}
    on_disk = {f"datasets/{p.parent.name}/{p.name}" for s in ("T91", "BSDS200") for p in (folder / s).glob("*.png")}
    assert listed == on_disk and len(rows) == 91 + 199
    for row in rows:
        path = SHARED / row["path"]
        if download.is_converted(row):  # T91: BMP at the source, PNG here, same pixels
            rgb = np.asarray(Image.open(path).convert("RGB")).tobytes()
            assert hashlib.sha256(rgb).hexdigest() == row["pixels_sha256"], row["path"]
        else:  # BSDS200: the same bytes
            assert (path.stat().st_size, download.sha256_of(path)) == (row["bytes"], row["sha256"]), row["path"]
        assert row["url"].startswith("https://raw.githubusercontent.com/jiny2001/dcscn-super-resolution/d382bc3")


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www; yields (base URL, list of requested paths)."""
    www = tmp_path / "www"
    www.mkdir()
    requested = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requested.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", www, requested
    httpd.shutdown()
    httpd.server_close()


def fake_dataset(base: str, www: Path, manifest: Path, corrupt: bool = False) -> dict[str, np.ndarray]:
    """Two T91-like BMPs (odd widths: padded rows) and one BSDS-like PNG, with their manifest."""
    rng = np.random.default_rng(0)
    images = {"datasets/T91/t1.png": rng.integers(0, 256, (7, 5, 3), dtype=np.uint8),
              "datasets/T91/tt2.png": rng.integers(0, 256, (4, 9, 3), dtype=np.uint8),
              "datasets/BSDS200/100075.png": rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)}
    lines = ["path\tbytes\tsha256\turl\tpixels_sha256"]
    for path, pixels in images.items():
        t91 = "/T91/" in path
        name = Path(path).stem + (".bmp" if t91 else ".png")
        Image.fromarray(pixels).save(www / name)
        data = (www / name).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if corrupt:
            digest = digest[::-1]
        pixel_digest = hashlib.sha256(pixels.tobytes()).hexdigest() if t91 else ""
        lines.append(f"{path}\t{len(data)}\t{digest}\t{base}/{name}\t{pixel_digest}")
    manifest.write_text("\n".join(lines) + "\n")
    return images


@pytest.fixture
def manifests(tmp_path, monkeypatch):
    """Point download.py at a test manifest (and an empty one for the benchmarks)."""
    empty = tmp_path / "empty.tsv"
    empty.write_text("path\tbytes\tsha256\turl\n")
    monkeypatch.setattr(download, "MANIFEST", empty)
    monkeypatch.setattr(download, "DATASETS_MANIFEST", tmp_path / "datasets.tsv")
    return tmp_path / "datasets.tsv"


def test_download_converts_bmp_to_png_with_the_same_pixels(server, manifests, tmp_path, capsys):
    base, www, requested = server
    images = fake_dataset(base, www, manifests)
    dest = tmp_path / "shared"
    assert download.main(["datasets", "--dest", str(dest)]) == 0
    for path, pixels in images.items():
        np.testing.assert_array_equal(np.asarray(Image.open(dest / path)), pixels)
    assert sorted(p.name for p in dest.rglob("*")) == ["100075.png", "BSDS200", "T91", "datasets", "t1.png", "tt2.png"]
    assert download.main(["verify", "--dest", str(dest)]) == 0
    # A second run finds every file valid and downloads nothing.
    n = len(requested)
    assert download.main(["datasets", "--dest", str(dest)]) == 0
    assert len(requested) == n == 3
    assert capsys.readouterr().out.count("ok        datasets/") == 3
    # One subset only.
    assert download.main(["t91", "--dest", str(tmp_path / "only")]) == 0
    assert sorted(p.name for p in (tmp_path / "only").rglob("*.png")) == ["t1.png", "tt2.png"]


def test_checksum_mismatch_keeps_nothing(server, manifests, tmp_path):
    base, www, _ = server
    fake_dataset(base, www, manifests, corrupt=True)
    dest = tmp_path / "shared"
    with pytest.raises(SystemExit) as e:
        download.main(["bsds200", "--dest", str(dest)])
    assert "expected" in str(e.value) and "was not kept" in str(e.value)
    with pytest.raises(SystemExit):
        download.main(["t91", "--dest", str(dest)])
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_verify_reports_a_changed_file(server, manifests, tmp_path, capsys):
    base, www, _ = server
    images = fake_dataset(base, www, manifests)
    dest = tmp_path / "shared"
    download.main(["datasets", "--dest", str(dest)])
    changed = images["datasets/T91/t1.png"].copy()
    changed[0, 0, 0] ^= 1
    Image.fromarray(changed).save(dest / "datasets/T91/t1.png")
    assert download.main(["verify", "--dest", str(dest)]) == 1
    assert "MISMATCH datasets/T91/t1.png" in capsys.readouterr().out


def test_offline_is_one_clear_line(manifests, tmp_path):
    import socket
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    manifests.write_text("path\tbytes\tsha256\turl\tpixels_sha256\n"
                         f"datasets/BSDS200/1.png\t1\t{'0' * 64}\thttp://127.0.0.1:{port}/1.png\t\n")
    with pytest.raises(SystemExit) as e:
        download.main(["bsds200", "--dest", str(tmp_path / "shared")])
    message = str(e.value)
    assert message.startswith(f"cannot download http://127.0.0.1:{port}/1.png") and "\n" not in message
    assert "no internet?" in message
    assert not any(p.is_file() for p in (tmp_path / "shared").rglob("*"))
    assert not (tmp_path / "shared").exists()  # the folders this run made are removed again
    (tmp_path / "mine").mkdir()  # a --dest that was there stays, empty
    with pytest.raises(SystemExit):
        download.main(["bsds200", "--dest", str(tmp_path / "mine")])
    assert (tmp_path / "mine").is_dir() and list((tmp_path / "mine").iterdir()) == []


# The tests below serve files through file:// URLs (no server, no network).

def file_row(path: str, source: Path, pixels: np.ndarray | None = None) -> str:
    """A manifest line for `source`, published at file://source and stored at `path`."""
    data = source.read_bytes()
    pixel_digest = hashlib.sha256(pixels.tobytes()).hexdigest() if pixels is not None else ""
    return f"{path}\t{len(data)}\t{hashlib.sha256(data).hexdigest()}\t{source.as_uri()}\t{pixel_digest}"


@pytest.fixture
def local(tmp_path, monkeypatch):
    """A T91-like BMP, a BSDS-like PNG, a benchmark PNG and a DIV2K-like zip of 5 PNGs, served as
    file:// URLs through test manifests; yields (dest, {manifest path: expected bytes or pixels})."""
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(1)
    t91 = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    Image.fromarray(t91).save(src / "t1.bmp")
    Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).save(src / "100075.png")
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(src / "hr1.png")
    with zipfile.ZipFile(src / "DIV2K_valid_HR.zip", "w") as z:
        for i in range(5):
            buffer = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(buffer, format="PNG")
            z.writestr(f"DIV2K_valid_HR/{801 + i:04d}.png", buffer.getvalue())
    header = "path\tbytes\tsha256\turl\tpixels_sha256\n"
    (tmp_path / "manifest.tsv").write_text(header + file_row("benchmarks/Set5/HR/img_001.png", src / "hr1.png") + "\n"
                                           + file_row("DIV2K/DIV2K_valid_HR.zip", src / "DIV2K_valid_HR.zip") + "\n")
    (tmp_path / "datasets.tsv").write_text(header + file_row("datasets/T91/t1.png", src / "t1.bmp", t91) + "\n"
                                           + file_row("datasets/BSDS200/100075.png", src / "100075.png") + "\n")
    monkeypatch.setattr(download, "MANIFEST", tmp_path / "manifest.tsv")
    monkeypatch.setattr(download, "DATASETS_MANIFEST", tmp_path / "datasets.tsv")
    return tmp_path / "shared", src


def error_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]


def test_a_changed_file_is_kept_unless_overwrite(local, capsys):
    dest, src = local
    mine = dest / "datasets/BSDS200/100075.png"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"MY OWN EDITED IMAGE")
    assert download.main(["datasets", "--dest", str(dest)]) == 1
    assert mine.read_bytes() == b"MY OWN EDITED IMAGE"  # byte for byte
    assert error_lines(capsys) == [f"error: {mine}: differs from the manifest (size, SHA-256 or pixels, or not "
                                   "readable); left as it is, --overwrite replaces it"]
    assert (dest / "datasets/T91/t1.png").is_file()  # the other files are still fetched
    assert download.main(["datasets", "--dest", str(dest), "--overwrite"]) == 0
    assert mine.read_bytes() == (src / "100075.png").read_bytes()
    assert download.main(["verify", "--dest", str(dest)]) == 0


def test_damaged_files_are_mismatches_not_tracebacks(local, capsys):
    dest, _ = local
    assert download.main(["t91", "--dest", str(dest)]) == 0
    png = dest / "datasets/T91/t1.png"
    good = png.read_bytes()
    for damaged in [good[:len(good) - 30],  # truncated: zlib.error before the fix
                    b"not a PNG at all",
                    None]:  # RGBA
        if damaged is None:
            Image.fromarray(np.zeros((6, 5, 4), np.uint8)).save(png)
        else:
            png.write_bytes(damaged)
        before = png.read_bytes()
        capsys.readouterr()
        assert download.main(["verify", "--dest", str(dest)]) == 1
        assert "MISMATCH datasets/T91/t1.png" in capsys.readouterr().out
        assert download.main(["t91", "--dest", str(dest)]) == 1
        assert png.read_bytes() == before and len(error_lines(capsys)) == 1
        assert download.main(["t91", "--dest", str(dest), "--overwrite"]) == 0  # repaired
        assert png.read_bytes() == good


def test_a_users_zip_is_never_deleted(local):
    dest, src = local
    (dest / "DIV2K").mkdir(parents=True)
    mine = dest / "DIV2K/DIV2K_valid_HR.zip"
    shutil.copy(src / "DIV2K_valid_HR.zip", mine)
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 0
    assert mine.read_bytes() == (src / "DIV2K_valid_HR.zip").read_bytes()
    assert sorted(p.name for p in (dest / "DIV2K/DIV2K_valid_HR").iterdir()) == [f"{i:04d}.png" for i in range(801, 806)]
    # A zip this run downloads is deleted after extracting, unless --keep-zip.
    other = dest.parent / "other"
    assert download.main(["div2k", "--valid-only", "--dest", str(other)]) == 0
    assert sorted(p.name for p in (other / "DIV2K").iterdir()) == [".DIV2K_valid_HR.extracted", "DIV2K_valid_HR"]
    assert download.main(["verify", "--dest", str(other)]) == 0
    kept = dest.parent / "kept"
    assert download.main(["div2k", "--valid-only", "--dest", str(kept), "--keep-zip"]) == 0
    assert (kept / "DIV2K/DIV2K_valid_HR.zip").is_file()


def test_a_partial_extraction_is_not_done(local, capsys):
    dest, src = local
    folder = dest / "DIV2K/DIV2K_valid_HR"
    # As an interrupted extraction leaves it: the first files, the last one cut short.
    folder.mkdir(parents=True)
    with zipfile.ZipFile(src / "DIV2K_valid_HR.zip") as z:
        (folder / "0801.png").write_bytes(z.read("DIV2K_valid_HR/0801.png"))
    (folder / "0802.png").write_bytes(b"")
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["0801.png", "0802.png"]  # left as it is
    (line,) = error_lines(capsys)
    assert line.startswith(f"error: {folder}: 4 of the 5 files of DIV2K_valid_HR.zip are missing")
    assert (dest / "DIV2K/DIV2K_valid_HR.zip").is_file()  # kept for the next run
    assert download.main(["verify", "--dest", str(dest)]) == 1
    assert download.main(["div2k", "--valid-only", "--dest", str(dest), "--overwrite"]) == 0
    assert len(list(folder.glob("*.png"))) == 5
    assert download.main(["verify", "--dest", str(dest)]) == 0
    # An empty folder (and no zip) is not "ok" either.
    empty = dest.parent / "empty"
    (empty / "DIV2K/DIV2K_valid_HR").mkdir(parents=True)
    assert download.main(["div2k", "--valid-only", "--dest", str(empty)]) == 1
    assert list((empty / "DIV2K/DIV2K_valid_HR").iterdir()) == []


def interrupt_extraction(monkeypatch, at: int = 3):
    """Make the at-th member extracted raise KeyboardInterrupt (Ctrl-C); returns the undo."""
    extract_member = zipfile.ZipFile._extract_member
    calls = []

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == at:
            raise KeyboardInterrupt
        return extract_member(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "_extract_member", interrupted)
    return lambda: monkeypatch.setattr(zipfile.ZipFile, "_extract_member", extract_member)


def test_an_interrupted_extraction_leaves_nothing_half_done(local, monkeypatch, capsys):
    dest, _ = local
    undo = interrupt_extraction(monkeypatch)
    # Ctrl-C: one line, exit 130, no traceback
    assert download.main(["div2k", "--valid-only", "--dest", str(dest), "--keep-zip"]) == 130
    assert capsys.readouterr().err.splitlines() == ["interrupted"]
    assert sorted(p.name for p in (dest / "DIV2K").iterdir()) == ["DIV2K_valid_HR.zip"]  # no folder, no leftovers
    undo()
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 0
    assert len(list((dest / "DIV2K/DIV2K_valid_HR").glob("*.png"))) == 5
    assert (dest / "DIV2K/DIV2K_valid_HR.zip").is_file()  # downloaded with --keep-zip: yours from then on


def test_files_get_the_usual_permissions(local):
    dest, _ = local
    old = os.umask(0o022)
    try:
        assert download.main(["datasets", "--dest", str(dest)]) == 0
        assert download.main(["benchmarks", "--dest", str(dest)]) == 0
        assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 0
    finally:
        os.umask(old)
    files = [p for p in dest.rglob("*") if p.is_file()]
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o644}  # not mkstemp's 0600
    assert len(files) == 3 + 5 + 1  # T91, BSDS200, Set5; 5 DIV2K images; the extraction record
    assert {stat.S_IMODE(p.stat().st_mode) for p in dest.rglob("*") if p.is_dir()} == {0o755}


def test_dest_must_be_a_folder(local, capsys):
    dest, _ = local
    dest.parent.joinpath("afile").write_text("x")
    for where in ["afile", "afile/sub"]:
        for what in ["verify", "benchmarks"]:
            assert download.main([what, "--dest", str(dest.parent / where)]) == 2
            err = capsys.readouterr().err.splitlines()
            assert len(err) == 1 and err[0].startswith(f"error: {dest.parent / where}:") and "folder" in err[0]


def test_a_zip_left_by_an_interrupted_run_is_not_taken_for_yours(local, monkeypatch, capsys):
    dest, src = local
    div2k = dest / "DIV2K"
    # Ctrl-C during the download: nothing is left, not even the folders this run made.
    def interrupted_download(row, out, label):
        out.write(b"PARTIAL")
        raise KeyboardInterrupt
    with monkeypatch.context() as m:
        m.setattr(download, "download_into", interrupted_download)
        assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 130
    assert capsys.readouterr().err.splitlines() == ["interrupted"]
    assert not dest.exists()  # no partial zip, no marker, and the folders this run made are removed
    # Ctrl-C after the download, during the extraction: the zip stays, marked as the script's ...
    undo = interrupt_extraction(monkeypatch)
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 130
    assert sorted(p.name for p in div2k.iterdir()) == [".DIV2K_valid_HR.zip.downloaded", "DIV2K_valid_HR.zip"]
    undo()
    # ... so the next run deletes it after extracting it (it said "it was there before this run").
    capsys.readouterr()
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 0
    assert "removed DIV2K_valid_HR.zip (downloaded by an earlier run" in capsys.readouterr().out
    assert sorted(p.name for p in div2k.iterdir()) == [".DIV2K_valid_HR.extracted", "DIV2K_valid_HR"]
    # Ctrl-C after the record is written, before the zip is deleted: the next run deletes it.
    shutil.rmtree(dest)
    write_record = download.write_record
    def record_then_interrupt(*args):
        write_record(*args)
        raise KeyboardInterrupt
    with monkeypatch.context() as m:
        m.setattr(download, "write_record", record_then_interrupt)
        assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 130
    assert (div2k / "DIV2K_valid_HR.zip").is_file()
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 0
    assert sorted(p.name for p in div2k.iterdir()) == [".DIV2K_valid_HR.extracted", "DIV2K_valid_HR"]
    # A zip of yours put where a marked one was deleted is yours: kept.
    shutil.rmtree(div2k / "DIV2K_valid_HR")
    (div2k / ".DIV2K_valid_HR.zip.downloaded").write_text("left from some earlier run\n")
    shutil.copy(src / "DIV2K_valid_HR.zip", div2k / "elsewhere.zip")
    os.rename(div2k / "elsewhere.zip", div2k / "DIV2K_valid_HR.zip")
    (div2k / ".DIV2K_valid_HR.zip.downloaded").unlink()
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 0
    assert (div2k / "DIV2K_valid_HR.zip").is_file()


def test_a_symlinked_div2k_folder_is_yours(local, capsys):
    dest, _ = local
    mine = dest.parent / "userdiv"
    mine.mkdir()
    (mine / "mine.txt").write_text("KEEP")
    folder = dest / "DIV2K/DIV2K_valid_HR"
    folder.parent.mkdir(parents=True)
    folder.symlink_to(mine)
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 1
    (line,) = error_lines(capsys)
    assert line.startswith(f"error: {folder} (a symbolic link to {mine}): 5 of the 5 files") and ".part" not in line
    assert folder.is_symlink()
    # --overwrite replaces the link itself: exit 0, a record, no leftover `.old` link, the target untouched.
    assert download.main(["div2k", "--valid-only", "--dest", str(dest), "--overwrite"]) == 0
    assert error_lines(capsys) == []
    assert [p.name for p in mine.iterdir()] == ["mine.txt"] and (mine / "mine.txt").read_text() == "KEEP"
    assert not folder.is_symlink() and len(list(folder.glob("*.png"))) == 5
    assert sorted(p.name for p in folder.parent.iterdir()) == [".DIV2K_valid_HR.extracted", "DIV2K_valid_HR"]
    assert download.main(["verify", "--dest", str(dest)]) == 0
    # A link to a complete folder is fine as it is.
    shutil.move(folder, mine / "full")
    folder.symlink_to(mine / "full")
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 0
    assert folder.is_symlink()
    # A dangling link: reported, naming the link (not a temporary folder), and left; --overwrite replaces it.
    folder.unlink()
    folder.symlink_to(dest.parent / "nowhere")
    capsys.readouterr()
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 1
    (line,) = error_lines(capsys)
    assert line.startswith(f"error: {folder} (a symbolic link to {dest.parent / 'nowhere'}): a symbolic link to nothing")
    assert folder.is_symlink()
    assert download.main(["div2k", "--valid-only", "--dest", str(dest), "--overwrite"]) == 0
    assert not folder.is_symlink() and len(list(folder.glob("*.png"))) == 5
    assert not (dest.parent / "nowhere").exists()


def test_a_symlink_at_a_manifest_path_is_yours(local, capsys):
    dest, src = local
    target = dest / "benchmarks/Set5/HR/img_001.png"
    target.parent.mkdir(parents=True)
    nowhere = dest.parent / "nonexistent/mine.png"
    target.symlink_to(nowhere)
    assert download.main(["benchmarks", "--dest", str(dest)]) == 1
    (line,) = error_lines(capsys)
    assert line.startswith(f"error: {target} (a symbolic link to {nowhere}): ") and "--overwrite" in line
    assert target.is_symlink() and os.readlink(target) == str(nowhere)
    # A link to a file of yours that differs: --overwrite replaces the link, never the file.
    other = dest.parent / "other.png"
    other.write_bytes(b"MINE")
    target.unlink()
    target.symlink_to(other)
    assert download.main(["benchmarks", "--dest", str(dest)]) == 1
    assert download.main(["benchmarks", "--dest", str(dest), "--overwrite"]) == 0
    assert not target.is_symlink() and target.read_bytes() == (src / "hr1.png").read_bytes()
    assert other.read_bytes() == b"MINE" and not nowhere.parent.exists()


def test_one_run_at_a_time(local, capsys):
    fcntl = pytest.importorskip("fcntl")
    dest, _ = local
    dest.mkdir()
    lock = dest / ".download.lock"
    with open(lock, "w") as held:  # as a run that is going holds it
        held.write("4242\n")
        held.flush()
        fcntl.flock(held, fcntl.LOCK_EX)
        for what in ["benchmarks", "div2k"]:
            assert download.main([what, "--valid-only", "--dest", str(dest)]) == 2
            (line,) = capsys.readouterr().err.splitlines()
            assert line.startswith(f"error: {lock}: another data/download.py run (pid 4242) is writing under {dest}")
        assert sorted(p.name for p in dest.iterdir()) == [".download.lock"]  # nothing written, its lock kept
        assert download.main(["verify", "--dest", str(dest)]) == 1  # verify reads only: not locked out
    # A lock file left by a killed run does not block; the lock is removed at the end.
    assert lock.read_text() == "4242\n"
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 0
    assert download.main(["benchmarks", "--dest", str(dest)]) == 0
    assert not lock.exists()


def test_a_folder_that_appears_during_the_extraction_is_not_replaced(local, monkeypatch, capsys):
    dest, _ = local
    folder = dest / "DIV2K/DIV2K_valid_HR"
    extract_member = zipfile.ZipFile._extract_member

    def another_writer(self, *args, **kwargs):  # e.g. a run that ignores the lock
        if not folder.exists():
            folder.mkdir()
            (folder / "theirs.txt").write_text("THEIRS")
        return extract_member(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "_extract_member", another_writer)
    assert download.main(["div2k", "--valid-only", "--dest", str(dest), "--keep-zip"]) == 1
    (line,) = error_lines(capsys)
    assert line.startswith(f"error: {folder}: appeared while DIV2K_valid_HR.zip was being extracted")
    assert [p.name for p in folder.iterdir()] == ["theirs.txt"]
    assert sorted(p.name for p in folder.parent.iterdir()) == ["DIV2K_valid_HR", "DIV2K_valid_HR.zip"]


def test_dest_a_symlink_loop_is_one_line(local, capsys):
    dest, _ = local
    loop_a, loop_b = dest.parent / "loopA", dest.parent / "loopB"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    for what in ["verify", "benchmarks"]:
        assert download.main([what, "--dest", str(loop_a)]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"error: {loop_a}: ") and "folder" in line


def test_errors_name_your_file_not_a_temporary_one(local, monkeypatch, capsys):
    dest, src = local
    div2k = dest / "DIV2K"
    div2k.mkdir(parents=True)
    # Something at the record's path: one line naming it, before anything is downloaded.
    (div2k / ".DIV2K_valid_HR.extracted").mkdir()
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 1
    (line,) = error_lines(capsys)
    assert line.startswith(f"error: {div2k / '.DIV2K_valid_HR.extracted'}: ")
    assert sorted(p.name for p in div2k.iterdir()) == [".DIV2K_valid_HR.extracted"]
    (div2k / ".DIV2K_valid_HR.extracted").rmdir()
    # A folder that cannot be written (as a read-only file system; root ignores chmod).
    shutil.copy(src / "DIV2K_valid_HR.zip", div2k)
    mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.parent == div2k or self.parent == dest / "benchmarks/Set5/HR":
            raise OSError(30, "Read-only file system", str(self))
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    assert download.main(["div2k", "--valid-only", "--dest", str(dest)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"error: {div2k / 'DIV2K_valid_HR'}: Read-only file system"]
    real_open = open

    def no_new_files(path, mode="r", *args, **kwargs):
        if "x" in mode:
            raise OSError(30, "Read-only file system", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(download, "open", no_new_files, raising=False)
    assert download.main(["benchmarks", "--dest", str(dest)]) == 1
    target = dest / "benchmarks/Set5/HR/img_001.png"
    assert capsys.readouterr().err.splitlines() == [f"error: {target}: Read-only file system"]
