"""Download the benchmark sets (Set5, Set14) and DIV2K, checking every file's size and SHA-256.

Standard library only. The files, their sizes, checksums and source addresses are listed in
data/manifest.tsv next to this script.

    python data/download.py benchmarks            # Set5 + Set14 HR and LR_bicubic_x4 (6 MiB)
    python data/download.py div2k                 # DIV2K train + valid HR (3.5 GB + 0.45 GB)
    python data/download.py div2k --valid-only    # DIV2K valid HR only (0.45 GB)
    python data/download.py verify                # check the files already there, no network

Files go under the shared data folder: --dest, else $SRGAN_SHARED, else ../shared next to the
repository (the folder the package and the book read). A file that is already there with the
right checksum is not downloaded again. DIV2K zips are extracted to DIV2K/DIV2K_{train,valid}_HR/.

Without internet nothing here can work: the package and the book then use the scikit-image
photos as their offline default (and ../shared when it is present); see data/README.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MANIFEST = HERE / "manifest.tsv"
CHUNK = 1 << 20


def read_manifest() -> list[dict]:
    """Rows of manifest.tsv: path (relative to the shared folder), bytes, sha256, url."""
    lines = [line for line in MANIFEST.read_text().splitlines() if line and not line.startswith("#")]
    return [dict(row, bytes=int(row["bytes"])) for row in csv.DictReader(lines, delimiter="\t")]


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
    return path.is_file() and path.stat().st_size == row["bytes"] and sha256_of(path) == row["sha256"]


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
        raise SystemExit(f"cannot download {row['url']}: {e}\nNo internet? The package and the book work "
                         "offline with the scikit-image photos; see data/README.md.") from e
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
    parser.add_argument("what", choices=["benchmarks", "div2k", "verify"])
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

    if args.what == "benchmarks":
        wanted = [r for r in rows if r["path"].startswith("benchmarks/")]
    else:
        wanted = [r for r in rows if r["path"].startswith("DIV2K/") and (not args.valid_only or "valid" in r["path"])]
    for row in wanted:
        target = dest / row["path"]
        extracted = args.what == "div2k" and (target.parent / target.stem).is_dir()
        if extracted or is_valid(target, row):
            print(f"ok        {row['path']}")
            continue
        print(f"download  {row['path']} ({row['bytes'] / 2**20:.1f} MiB)", flush=True)
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
