"""data/download.py: the T91 / BSDS200 manifest against the copies in ../shared, and the download
code against a local HTTP server serving a tiny fake dataset (there is no internet here)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import threading
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
