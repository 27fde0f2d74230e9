"""Download the benchmark sets (Set5, Set14), the training sets T91 and BSDS200, and DIV2K,
checking every file's size and SHA-256.

Standard library only. The files, their sizes, checksums and source addresses are listed in
data/manifest.tsv (benchmarks, DIV2K) and data/datasets.tsv (T91, BSDS200) next to this script.

    python data/download.py benchmarks            # Set5 + Set14 HR and LR_bicubic_x4 (6 MiB)
    python data/download.py datasets              # T91 (91 images) + BSDS200 (199 images), 60 MiB
    python data/download.py t91                   # or one of them: t91, bsds200
    python data/download.py div2k                 # DIV2K train + valid HR (3.5 GB + 0.45 GB)
    python data/download.py div2k --valid-only    # DIV2K valid HR only (0.45 GB)
    python data/download.py verify                # check the files already there, no network

Files go under the shared data folder: --dest, else $SRGAN_SHARED, else ../shared next to the
repository (the folder the package and the book read). A file that is already there with the
right checksum is not downloaded again. DIV2K zips are extracted to DIV2K/DIV2K_{train,valid}_HR/.
T91 is published as 24-bit BMP: each file is checked against its SHA-256, converted to PNG
without loss, and the PNG's pixels are checked against the manifest's `pixels_sha256` (the
SHA-256 of the RGB bytes, row by row, of the copies in ../shared/datasets).

Without internet nothing here can work: the package and the book then use the scikit-image
photos as their offline default (and ../shared when it is present); see data/README.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import struct
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MANIFEST = HERE / "manifest.tsv"            # benchmarks, DIV2K
DATASETS_MANIFEST = HERE / "datasets.tsv"   # T91, BSDS200 (with pixels_sha256 for converted files)
CHUNK = 1 << 20
OFFLINE_HINT = "no internet? the package and the book work offline with the scikit-image photos (data/README.md)"


def read_manifest(path: Path | None = None) -> list[dict]:
    """Rows of a manifest: path (relative to the shared folder), bytes, sha256, url[, pixels_sha256].

    Args:
        path: the manifest file; default both, manifest.tsv then datasets.tsv.
    """
    rows = []
    for manifest in [path] if path else [MANIFEST, DATASETS_MANIFEST]:
        lines = [line for line in manifest.read_text().splitlines() if line and not line.startswith("#")]
        rows += [dict(row, bytes=int(row["bytes"])) for row in csv.DictReader(lines, delimiter="\t")]
    return rows


def is_converted(row: dict) -> bool:
    """True for rows whose source file (a BMP) is converted to the PNG at row['path']."""
    return bool(row.get("pixels_sha256")) and row["url"].lower().endswith(".bmp")


def default_dest() -> Path:
    env = os.environ.get("SRGAN_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_valid(path: Path, row: dict) -> bool:
    if is_converted(row):  # the checksums are those of the BMP; the PNG is checked by its pixels
        return path.is_file() and pixels_sha256(read_png_rgb(path.read_bytes(), name=str(path))[2]) == row["pixels_sha256"]
    return path.is_file() and path.stat().st_size == row["bytes"] and sha256_of(path) == row["sha256"]


def pixels_sha256(rgb: bytes) -> str:
    """SHA-256 of an image's RGB bytes, top row first (what numpy's array.tobytes() gives for H×W×3)."""
    return hashlib.sha256(rgb).hexdigest()


def read_bmp_rgb(data: bytes, name: str) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes top row first) of an uncompressed 24-bit BMP, the format T91 ships in."""
    if data[:2] != b"BM" or len(data) < 54:
        raise SystemExit(f"{name}: not a BMP file")
    offset, = struct.unpack("<I", data[10:14])
    width, height, _, bits, compression = struct.unpack("<iiHHI", data[18:34])
    if bits != 24 or compression != 0 or width <= 0 or height == 0:
        raise SystemExit(f"{name}: only uncompressed 24-bit BMPs are supported (got {bits} bit, compression {compression})")
    stride = (width * 3 + 3) // 4 * 4  # rows are padded to 4 bytes
    rows = [data[offset + y * stride: offset + y * stride + width * 3] for y in range(abs(height))]
    if height > 0:  # positive height: stored bottom row first
        rows.reverse()
    rgb = bytearray(b"".join(rows))
    rgb[0::3], rgb[2::3] = rgb[2::3], rgb[0::3]  # BGR -> RGB
    return width, abs(height), bytes(rgb)


def png_bytes(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG (no filter, zlib level 9) holding exactly these pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    row = width * 3
    raw = b"".join(b"\x00" + rgb[y * row:(y + 1) * row] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def read_png_rgb(data: bytes, name: str) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) of a non-interlaced 8-bit RGB PNG (what png_bytes writes, any filter)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{name}: not a PNG file")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if header is None or header[2:4] != (8, 2) or header[6] != 0:
        raise SystemExit(f"{name}: only non-interlaced 8-bit RGB PNGs can be checked here")
    width, height = header[:2]
    raw, row, out, prev = zlib.decompress(idat), width * 3, bytearray(), bytearray(width * 3)
    for y in range(height):
        kind, line = raw[y * (row + 1)], bytearray(raw[y * (row + 1) + 1:(y + 1) * (row + 1)])
        for i in range(row):  # undo the PNG filter of this row (bpp = 3)
            a, b = (line[i - 3] if i >= 3 else 0), prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return width, height, bytes(out)


def fetch_converted(row: dict, target: Path) -> None:
    """Download a BMP (size and SHA-256 checked), write it as a PNG whose pixels are checked too."""
    part = target.parent / f".{target.name}.bmp.part"
    fetch(row, part)
    try:
        width, height, rgb = read_bmp_rgb(part.read_bytes(), name=row["url"])
    finally:
        part.unlink()
    if pixels_sha256(rgb) != row["pixels_sha256"]:
        raise SystemExit(f"{row['url']}: its pixels do not match the manifest's pixels_sha256; nothing was written")
    fd, tmp = tempfile.mkstemp(prefix=".part-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(png_bytes(width, height, rgb))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def fetch(row: dict, target: Path) -> None:
    """Download row['url'] to `target` through a temporary file; fail on a size or checksum mismatch."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".part-", dir=target.parent)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(row["url"], timeout=60) as response:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if row["bytes"] > 50 * CHUNK and size % (100 * CHUNK) < CHUNK:
                    print(f"  {target.name}: {size / 2**20:.0f} / {row['bytes'] / 2**20:.0f} MiB", flush=True)
        if size != row["bytes"] or digest.hexdigest() != row["sha256"]:
            raise SystemExit(f"{row['url']}: got {size} bytes with SHA-256 {digest.hexdigest()}, "
                             f"expected {row['bytes']} bytes with {row['sha256']}; the file was not kept")
        os.replace(tmp, target)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        reason = getattr(e, "reason", None) or e
        raise SystemExit(f"cannot download {row['url']}: {reason}; {OFFLINE_HINT}") from e
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def extract(zip_path: Path, dest: Path) -> None:
    """Extract a DIV2K zip next to itself (DIV2K_train_HR/0001.png ...), once."""
    folder = dest / zip_path.stem  # DIV2K_train_HR
    if folder.is_dir() and any(folder.iterdir()):
        print(f"  {folder} already extracted")
        return
    with zipfile.ZipFile(zip_path) as z:
        for member in z.namelist():  # refuse paths that would leave the destination
            if member.startswith("/") or ".." in Path(member).parts:
                raise SystemExit(f"{zip_path}: unsafe path {member!r} in the archive")
        z.extractall(dest)
    print(f"  extracted {zip_path.name} -> {folder} ({len(list(folder.glob('*.png')))} PNG files)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["benchmarks", "datasets", "t91", "bsds200", "div2k", "verify"])
    parser.add_argument("--dest", type=Path, default=None, help="shared data folder (default: $SRGAN_SHARED or ../shared)")
    parser.add_argument("--valid-only", action="store_true", help="div2k: only the 100 validation images")
    parser.add_argument("--keep-zip", action="store_true", help="div2k: keep the zip files after extracting")
    args = parser.parse_args(argv)
    dest = (args.dest or default_dest()).resolve()
    rows = read_manifest()

    if args.what == "verify":
        present = [r for r in rows if (dest / r["path"]).is_file()]
        bad = [r["path"] for r in present if not is_valid(dest / r["path"], r)]
        print(f"{dest}: {len(present)} of {len(rows)} listed files present, {len(present) - len(bad)} match their checksum")
        for path in bad:
            print(f"  MISMATCH {path}")
        return 1 if bad else 0

    prefixes = {"benchmarks": ("benchmarks/",), "datasets": ("datasets/T91/", "datasets/BSDS200/"),
                "t91": ("datasets/T91/",), "bsds200": ("datasets/BSDS200/",)}
    if args.what in prefixes:
        wanted = [r for r in rows if r["path"].startswith(prefixes[args.what])]
    else:
        wanted = [r for r in rows if r["path"].startswith("DIV2K/") and (not args.valid_only or "valid" in r["path"])]
    for row in wanted:
        target = dest / row["path"]
        extracted = args.what == "div2k" and (target.parent / target.stem).is_dir()
        if extracted or is_valid(target, row):
            print(f"ok        {row['path']}")
            continue
        print(f"download  {row['path']} ({row['bytes'] / 2**20:.1f} MiB)", flush=True)
        if is_converted(row):
            target.parent.mkdir(parents=True, exist_ok=True)
            fetch_converted(row, target)
        else:
            fetch(row, target)
    if args.what == "div2k":
        for row in wanted:
            zip_path = dest / row["path"]
            if zip_path.is_file():
                extract(zip_path, zip_path.parent)
                if not args.keep_zip:
                    zip_path.unlink()
    print(f"done: {len(wanted)} file(s) under {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
