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
    python data/download.py datasets --overwrite  # also replace files that differ from the manifest

Files go under the shared data folder: --dest, else $SRGAN_SHARED, else ../shared next to the
repository (the folder the package and the book read). A file that is already there with the
right checksum is not downloaded again; one that differs from the manifest (a file of yours, a
damaged copy) is reported and left as it is, and the command ends with exit 1: --overwrite
replaces it. Every file is written under a temporary name and renamed into place once complete.
A symbolic link at a manifest path (or at a DIV2K folder) is yours too: one to the manifest's file
(or a complete folder) counts as ok; a dangling one, or one to something that differs, is reported
and left as it is, and --overwrite replaces the link itself, never what it points to.

DIV2K zips are extracted to DIV2K/DIV2K_{train,valid}_HR/ through a temporary folder that is
renamed into place once complete; a record of the extracted files (names, sizes, CRC-32) is kept
next to it in DIV2K/.DIV2K_{train,valid}_HR.extracted. A folder without that record, or one that
no longer matches it (an interrupted extraction, files removed), is checked against the zip
(downloaded again if needed); if it lacks files of the zip it is reported and left as it is
(exit 1): --overwrite extracts the zip again and replaces the folder. A zip this run downloaded
is deleted after a complete extraction (--keep-zip keeps it, and it then counts as yours); a zip
that was already there is never deleted. A zip the script downloads without --keep-zip is marked
by DIV2K/.DIV2K_{train,valid}_HR.zip.downloaded until it is extracted, so one left by an
interrupted run is deleted after the next run has extracted it, not taken for yours.

One run at a time per folder: a run holds the lock file .download.lock in the shared folder (the
lock is the operating system's, so one left by a killed run does not block); a second run stops
with one line (exit 2). Exit codes: 0 done, 1 something is not as listed (reported) or failed,
2 could not start (--dest, another run), 130 interrupted (Ctrl-C; temporary files are removed).

T91 is published as 24-bit BMP: each file is checked against its SHA-256, converted to PNG
without loss, and the PNG's pixels are checked against the manifest's `pixels_sha256` (the
SHA-256 of the RGB bytes, row by row, of the copies in ../shared/datasets).

Without internet nothing here can work: the package and the book then use the scikit-image
photos as their offline default (and ../shared when it is present); see data/README.md.
"""

from __future__ import annotations

import argparse
import csv
import errno
import hashlib
import http.client
import io
import os
import secrets
import shutil
import struct
import sys
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath

try:
    import fcntl
except ImportError:  # Windows: the lock is an exclusive file (see take_lock)
    fcntl = None

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MANIFEST = HERE / "manifest.tsv"            # benchmarks, DIV2K
DATASETS_MANIFEST = HERE / "datasets.tsv"   # T91, BSDS200 (with pixels_sha256 for converted files)
CHUNK = 1 << 20
LOCK_NAME = ".download.lock"
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
    """True if `path` is the manifest's file; False for anything else, including a file that cannot
    be read or parsed (truncated, not a PNG, RGBA, ...)."""
    try:
        if not path.is_file():
            return False
        if is_converted(row):  # the checksums are those of the BMP; the PNG is checked by its pixels
            return pixels_sha256(read_png_rgb(path.read_bytes())[2]) == row["pixels_sha256"]
        return path.stat().st_size == row["bytes"] and sha256_of(path) == row["sha256"]
    except (OSError, ValueError, zlib.error, struct.error, IndexError, MemoryError):
        return False


def pixels_sha256(rgb: bytes) -> str:
    """SHA-256 of an image's RGB bytes, top row first (what numpy's array.tobytes() gives for H×W×3)."""
    return hashlib.sha256(rgb).hexdigest()


def read_bmp_rgb(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes top row first) of an uncompressed 24-bit BMP, the format T91 ships in.
    Raises ValueError for anything else."""
    if data[:2] != b"BM" or len(data) < 54:
        raise ValueError("not a BMP file")
    offset, = struct.unpack("<I", data[10:14])
    width, height, _, bits, compression = struct.unpack("<iiHHI", data[18:34])
    if bits != 24 or compression != 0 or width <= 0 or height == 0:
        raise ValueError(f"only uncompressed 24-bit BMPs are supported (got {bits} bit, compression {compression})")
    stride = (width * 3 + 3) // 4 * 4  # rows are padded to 4 bytes
    if offset + (abs(height) - 1) * stride + width * 3 > len(data):
        raise ValueError("truncated BMP file")
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


def read_png_rgb(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) of a non-interlaced 8-bit RGB PNG (what png_bytes writes, any filter).
    Raises ValueError (or zlib.error / struct.error for a damaged file) for anything else."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
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
        raise ValueError("only non-interlaced 8-bit RGB PNGs can be checked here")
    width, height = header[:2]
    raw, row = zlib.decompress(idat), width * 3
    if len(raw) != height * (row + 1):
        raise ValueError("truncated or damaged PNG file")
    out, prev = bytearray(), bytearray(row)
    for y in range(height):
        kind, line = raw[y * (row + 1)], bytearray(raw[y * (row + 1) + 1:(y + 1) * (row + 1)])
        if kind > 4:
            raise ValueError(f"unknown PNG filter {kind}")
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


def report(message: str) -> None:
    """One line on stderr for a file that is not as it should be (the command then ends with exit 1)."""
    print(f"error: {message}", file=sys.stderr, flush=True)


def link_note(path: Path) -> str:
    """' (a symbolic link to X)' for a symbolic link, else ''."""
    try:
        return f" (a symbolic link to {os.readlink(path)})" if path.is_symlink() else ""
    except OSError:
        return " (a symbolic link)"


def dangling(path: Path) -> bool:
    """True for a symbolic link whose target does not exist."""
    return path.is_symlink() and not path.exists()


def present(path: Path) -> bool:
    """True if anything is at `path`, a dangling symbolic link included."""
    return path.is_symlink() or path.exists()


def remove_path(path: Path) -> None:
    """Remove a file, a folder tree of this run, or a symbolic link itself (never what it points to)."""
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)


def make_dirs(folder: Path, made: list[Path]) -> None:
    """mkdir -p `folder`, appending the folders it creates to `made` (removed at the end if left empty)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)


def remove_empty(made: list[Path]) -> None:
    """Remove the folders of `made` (created by this run) that are still empty, deepest first."""
    for path in reversed(made):
        try:
            path.rmdir()
        except OSError:  # not empty (or gone): keep it
            pass


def temp_name(target: Path, kind: str = "part") -> Path:
    """A new name next to `target` for a temporary file or folder of this run."""
    return target.parent / f".{target.name}.{secrets.token_hex(4)}.{kind}"


def write_atomic(target: Path, write) -> None:
    """Call write(file) on a temporary file next to `target`, renamed into place once complete: an
    interruption leaves the old file or the new one. The file is created by open(..., 'xb'), so it
    gets the usual 0666 minus the umask (not mkstemp's private 0600)."""
    tmp = None
    try:
        while True:
            tmp = temp_name(target)
            try:
                out = open(tmp, "xb")
                break
            except FileExistsError:
                continue
        with out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except OSError as e:  # name the file being written, not the temporary one
        raise OSError(e.errno, e.strerror or str(e), str(target)) from None
    finally:
        if tmp is not None and present(tmp):
            tmp.unlink()


def download_into(row: dict, out, label: str) -> None:
    """Stream row['url'] into the file object `out`; SystemExit (one line) when offline or on a size
    or checksum mismatch."""
    try:
        digest, size = hashlib.sha256(), 0
        with urllib.request.urlopen(row["url"], timeout=60) as response:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if row["bytes"] > 50 * CHUNK and size % (100 * CHUNK) < CHUNK:
                    print(f"  {label}: {size / 2**20:.0f} / {row['bytes'] / 2**20:.0f} MiB", flush=True)
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as e:
        reason = getattr(e, "reason", None) or e
        raise SystemExit(f"cannot download {row['url']}: {reason}; {OFFLINE_HINT}") from e
    if size != row["bytes"] or digest.hexdigest() != row["sha256"]:
        raise SystemExit(f"{row['url']}: got {size} bytes with SHA-256 {digest.hexdigest()}, "
                         f"expected {row['bytes']} bytes with {row['sha256']}; the file was not kept")


def fetch(row: dict, target: Path) -> None:
    """Download row['url'] to `target` through a temporary file; fail on a size or checksum mismatch."""
    write_atomic(target, lambda out: download_into(row, out, target.name))


def fetch_converted(row: dict, target: Path) -> None:
    """Download a BMP (size and SHA-256 checked), write it as a PNG whose pixels are checked too."""
    bmp = io.BytesIO()  # T91's BMPs are small
    download_into(row, bmp, target.name)
    try:
        width, height, rgb = read_bmp_rgb(bmp.getvalue())
    except ValueError as e:
        raise SystemExit(f"{row['url']}: {e}; nothing was written") from None
    if pixels_sha256(rgb) != row["pixels_sha256"]:
        raise SystemExit(f"{row['url']}: its pixels do not match the manifest's pixels_sha256; nothing was written")
    write_atomic(target, lambda out: out.write(png_bytes(width, height, rgb)))


def get_file(row: dict, dest: Path, overwrite: bool, made: list[Path], before_download=None) -> bool | None:
    """Make dest/row['path'] the manifest's file: True if downloaded now, False if it was already
    there, None if something else is there (reported, left as it is). before_download() is called
    just before a download starts."""
    target = dest / row["path"]
    if target.exists() and not target.is_file():
        report(f"{target}{link_note(target)}: is a folder, not the manifest's file; left as it is")
        return None
    if dangling(target):  # a link of yours, to nothing: reported like a changed file
        if not overwrite:
            report(f"{target}{link_note(target)}: a symbolic link to nothing; left as it is, --overwrite "
                   "replaces the link (not what it points to)")
            return None
        print(f"replace   {row['path']} ({row['bytes'] / 2**20:.1f} MiB)", flush=True)
    elif target.is_file():
        if is_valid(target, row):
            print(f"ok        {row['path']}")
            return False
        if not overwrite:
            what = "the link" if target.is_symlink() else "it"
            report(f"{target}{link_note(target)}: differs from the manifest (size, SHA-256 or pixels, or not "
                   f"readable); left as it is, --overwrite replaces {what}")
            return None
        print(f"replace   {row['path']} ({row['bytes'] / 2**20:.1f} MiB)", flush=True)
    else:
        print(f"download  {row['path']} ({row['bytes'] / 2**20:.1f} MiB)", flush=True)
    make_dirs(target.parent, made)
    if before_download is not None:
        before_download()
    (fetch_converted if is_converted(row) else fetch)(row, target)
    return True


# DIV2K: a zip DIV2K/DIV2K_x_HR.zip holds DIV2K_x_HR/0001.png ...; it is extracted to the folder
# DIV2K/DIV2K_x_HR, and DIV2K/.DIV2K_x_HR.extracted records its files: "name<TAB>size<TAB>crc32".

def zip_members(zip_path: Path, folder_name: str) -> dict[str, tuple[int, int]]:
    """{name inside the folder: (size, CRC-32)} of the files of a DIV2K zip, all of which must lie
    under folder_name/ (anything else, such as an absolute or '..' path, is refused)."""
    members = {}
    try:
        with zipfile.ZipFile(zip_path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as e:
        raise SystemExit(f"{zip_path}: not a readable zip file ({e})") from None
    for info in infos:
        parts = PurePosixPath(info.filename).parts
        if (info.filename.startswith("/") or "\\" in info.filename or ".." in parts or not parts
                or parts[0] != folder_name or (len(parts) < 2 and not info.is_dir())):
            raise SystemExit(f"{zip_path}: unexpected path {info.filename!r} in the archive "
                             f"(expected {folder_name}/...); nothing was extracted")
        if not info.is_dir():
            members["/".join(parts[1:])] = (info.file_size, info.CRC)
    return members


def record_path(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.extracted"


def read_record(folder: Path) -> dict[str, tuple[int, int]] | None:
    """The files recorded when `folder` was extracted, or None (no record, or an unreadable one)."""
    try:
        lines = record_path(folder).read_text().splitlines()
        return {name: (int(size), int(crc)) for name, size, crc in
                (line.split("\t") for line in lines if line and not line.startswith("#"))}
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def write_record(folder: Path, members: dict[str, tuple[int, int]]) -> None:
    text = f"# files of {folder.name}, extracted and checked by data/download.py: name, bytes, CRC-32\n"
    text += "".join(f"{name}\t{size}\t{crc}\n" for name, (size, crc) in sorted(members.items()))
    write_atomic(record_path(folder), lambda out: out.write(text.encode()))


def missing_files(folder: Path, members: dict[str, tuple[int, int]]) -> list[str]:
    """Names of `members` that are not files of their size in `folder` (a quick completeness check)."""
    bad = []
    for name, (size, _) in members.items():
        path = folder / name
        try:
            if not (path.is_file() and path.stat().st_size == size):
                bad.append(name)
        except OSError:
            bad.append(name)
    return bad


def crc32_of(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def extract(zip_path: Path, folder: Path, members: dict[str, tuple[int, int]], replace: bool) -> bool:
    """Extract a DIV2K zip into a temporary folder next to `folder`, renamed to `folder` once
    complete. Whatever is at `folder` (a folder, a symbolic link: the link itself, never what it
    points to) is replaced only after that, and only if `replace`; else False (reported)."""
    tmp = temp_name(folder)
    try:
        tmp.mkdir()  # mkdir, not mkdtemp: the usual permissions
        try:
            with zipfile.ZipFile(zip_path) as z:
                z.extractall(tmp)  # zip_members checked that every path lies under folder.name/
        except (zipfile.BadZipFile, zipfile.LargeZipFile) as e:  # e.g. a bad CRC-32
            raise SystemExit(f"{zip_path}: cannot be extracted ({e}); nothing was kept") from None
        new = tmp / folder.name
        new.mkdir(exist_ok=True)
        if missing_files(new, members):
            raise SystemExit(f"{zip_path}: the extracted files do not match the archive's list; nothing was kept")
        old = None
        if present(folder):
            if not replace:  # it appeared while this run was extracting
                report(f"{folder}{link_note(folder)}: appeared while {zip_path.name} was being extracted; left as "
                       "it is (nothing of this run was kept), --overwrite replaces it")
                return False
            old = temp_name(folder, "old")
            folder.rename(old)  # a symbolic link is renamed itself
        try:
            new.rename(folder)
        except BaseException:
            if old is not None:
                old.rename(folder)
            raise
        if old is not None:
            try:
                remove_path(old)
            except KeyboardInterrupt:  # finish removing the old folder, then stop
                remove_path(old)
                raise
    except OSError as e:  # name the folder being made, not this run's temporary one
        raise OSError(e.errno, e.strerror or str(e), str(folder)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"  extracted {zip_path.name} -> {folder} ({len(members)} files)")
    return True


def marker_path(zip_path: Path) -> Path:
    """The file that says the script downloaded this zip (it is deleted after extraction)."""
    return zip_path.parent / f".{zip_path.name}.downloaded"


def drop_zip(zip_path: Path, args: argparse.Namespace, why: str) -> None:
    """After a complete extraction: delete a zip the script downloaded (now or in an interrupted run)
    unless --keep-zip; a zip kept by --keep-zip, or one without the mark, is the user's from then on."""
    marker = marker_path(zip_path)
    if not args.keep_zip and zip_path.is_file() and not zip_path.is_symlink():
        zip_path.unlink()
        print(f"  removed {zip_path.name} ({why}; --keep-zip keeps it)")
    elif zip_path.is_file():
        print(f"  kept {zip_path.name}")
    if present(marker):
        marker.unlink()


def get_div2k(row: dict, dest: Path, args: argparse.Namespace, made: list[Path]) -> bool:
    """Make the folder of a DIV2K zip hold the zip's files; False if something is in the way (reported)."""
    zip_path = dest / row["path"]
    folder = zip_path.parent / zip_path.stem
    name = f"{Path(row['path']).parent / folder.name}"
    marker = marker_path(zip_path)
    if present(marker) and not present(zip_path):  # the zip it marked is gone: a later zip there is yours
        marker.unlink()
    ours = present(marker)  # a zip downloaded by an earlier run that was stopped before extracting it
    record_file = record_path(folder)
    if present(record_file) and (record_file.is_symlink() or not record_file.is_file()):
        report(f"{record_file}{link_note(record_file)}: is in the way of the record of {folder.name} (not a file "
               "this script wrote); left as it is")
        return False
    record = read_record(folder)
    if folder.is_dir() and record is not None and not missing_files(folder, record):
        print(f"ok        {name} ({len(record)} files, extracted earlier)")
        if ours:  # extracted, but the run that downloaded the zip was stopped before deleting it
            drop_zip(zip_path, args, "downloaded by an earlier run")
        return True
    if folder.exists() and not folder.is_dir():
        report(f"{folder}{link_note(folder)}: is a file, where {zip_path.name} is extracted; left as it is")
        return False
    if dangling(folder) and not args.overwrite:
        report(f"{folder}{link_note(folder)}: a symbolic link to nothing, where {zip_path.name} is extracted; "
               "left as it is, --overwrite replaces the link (not what it points to)")
        return False
    if folder.is_dir():  # e.g. an interrupted extraction, or one made by hand: check it against the zip
        why = "no record that it is complete" if record is None else "it lacks files it had when extracted"
        print(f"check     {name}: {why}; checking it against {zip_path.name}", flush=True)
    made_marker = []

    def mark() -> None:  # before the download: a zip this run leaves behind is known to be the script's
        if not args.keep_zip and not present(marker):  # (one kept by --keep-zip is yours)
            write_atomic(marker, lambda out: out.write(
                f"# {zip_path.name} was downloaded by data/download.py: deleted after extraction "
                "(--keep-zip keeps it)\n".encode()))
            made_marker.append(marker)

    try:
        downloaded = get_file(row, dest, args.overwrite, made, before_download=mark)
    except BaseException:
        if made_marker and present(marker):
            marker.unlink()  # the download did not complete: the zip there (if any) is not the script's
        raise
    if downloaded is None:
        return False
    members = zip_members(zip_path, folder.name)
    if folder.is_dir() and not (missing := missing_files(folder, members)):
        print(f"ok        {name} (all {len(members)} files of {zip_path.name})")
    elif folder.is_dir() and not args.overwrite:
        report(f"{folder}{link_note(folder)}: {len(missing)} of the {len(members)} files of {zip_path.name} are "
               f"missing or of another size (first: {missing[0]}); left as it is and the zip kept, --overwrite "
               "extracts it again and replaces the folder" + (" (the link itself)" if folder.is_symlink() else ""))
        return False
    elif not extract(zip_path, folder, members, replace=args.overwrite):
        return False
    write_record(folder, members)
    if downloaded or ours:
        drop_zip(zip_path, args, "downloaded by this run" if downloaded else "downloaded by an earlier run")
    else:
        print(f"  kept {zip_path.name} (it was there before this run)")
    return True


def verify(rows: list[dict], dest: Path) -> int:
    """Check the listed files and the extracted DIV2K folders that are there, offline: exit 1 if any
    of them does not match, or if there is nothing to check."""
    present = [r for r in rows if (dest / r["path"]).is_file()]
    bad = [r["path"] for r in present if not is_valid(dest / r["path"], r)]
    print(f"{dest}: {len(present)} of {len(rows)} listed files present, {len(present) - len(bad)} match their checksum")
    folders = [(dest / r["path"]).with_suffix("") for r in rows if r["path"].startswith("DIV2K/")]
    folders = [f for f in folders if f.is_dir()]
    for folder in folders:
        name = folder.relative_to(dest).as_posix()
        record = read_record(folder)
        if record is None:
            print(f"{folder}: no record of a complete extraction (`python data/download.py div2k` checks it against the zip)")
            bad.append(name)
            continue
        wrong = missing_files(folder, record)
        wrong += [n for n in record if n not in wrong and crc32_of(folder / n) != record[n][1]]
        print(f"{folder}: {len(record) - len(wrong)} of the {len(record)} extracted files match their record")
        bad += [f"{name}/{n}" for n in sorted(wrong)]
    for path in bad:
        print(f"  MISMATCH {path}")
    if not present and not folders:
        print(f"nothing to verify under {dest}")
        return 1
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["benchmarks", "datasets", "t91", "bsds200", "div2k", "verify"])
    parser.add_argument("--dest", type=Path, default=None, help="shared data folder (default: $SRGAN_SHARED or ../shared)")
    parser.add_argument("--valid-only", action="store_true", help="div2k: only the 100 validation images")
    parser.add_argument("--keep-zip", action="store_true",
                        help="div2k: keep a zip this run downloaded after extracting it (a zip that was "
                             "already there is never deleted)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a file at a manifest path that differs from the manifest, and extract a "
                             "DIV2K zip again over a folder that lacks some of its files (the old folder is "
                             "deleted); a symbolic link there is replaced itself, never what it points to. "
                             "Without it such files, folders and links are reported and left as they are")
    args = parser.parse_args(argv)
    given = args.dest or default_dest()
    try:
        dest = given.resolve()
        existing = dest
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        is_folder = existing.is_dir()
    except (OSError, RuntimeError) as e:  # a symbolic link loop, an unreadable folder on the way
        print(f"error: {given}: cannot be followed to a folder ({getattr(e, 'strerror', None) or e}); "
              "--dest must name a folder", file=sys.stderr)
        return 2
    if not is_folder:
        where = "is a file" if existing == dest else f"cannot be a folder: {existing} is a file"
        print(f"error: {dest}: {where}; --dest must name a folder", file=sys.stderr)
        return 2
    rows = read_manifest()
    made: list[Path] = []  # folders this run created: removed at the end if still empty (e.g. offline)
    lock = None
    try:
        if args.what == "verify":
            return verify(rows, dest)
        make_dirs(dest, made)
        lock = take_lock(dest)
        if isinstance(lock, str):  # another run holds it
            print(f"error: {dest / LOCK_NAME}: another data/download.py run ({lock}) is writing under {dest}; "
                  "wait for it to finish", file=sys.stderr)
            lock = None
            return 2
        return get(rows, dest, args, made)
    except OSError as e:  # permissions, a full disk, ...: one line naming the file
        print(f"error: {e.filename or dest}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: the temporary files are already removed
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if lock is not None:
            release_lock(dest, lock)
        remove_empty(made)


def take_lock(dest: Path):
    """Lock dest/.download.lock for this run (it holds this process's id, for the message of a
    second run): the open lock file; a string naming the holder if another run holds it; None if
    the folder cannot be written (then nothing can be created there either, so there is nothing to guard).

    With fcntl the lock is the kernel's (flock): it ends with the process, so a lock file left by
    a killed run is taken over. Without fcntl (Windows) it is the file itself, created exclusively."""
    path = dest / LOCK_NAME
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | (0 if fcntl else os.O_EXCL)
    while True:
        try:
            fd = os.open(path, flags, 0o644)
        except FileExistsError:  # no fcntl: an existing file is a lock
            try:
                return f"pid {path.read_text().strip()}; if no run is left, delete the file"
            except OSError:
                continue
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                return None
            raise
        if fcntl is None:
            break
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by a live run
            holder = os.read(fd, 100).decode(errors="replace").strip()
            os.close(fd)
            return f"pid {holder}" if holder.isdigit() else "a run that is starting"
        try:  # the run that held it may have removed the file just before: lock the file that is there now
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def release_lock(dest: Path, fd: int) -> None:
    """Remove the lock file (while still holding the lock), then let go of it."""
    path = dest / LOCK_NAME
    try:
        if os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False)):
            path.unlink()
    except OSError:
        pass
    os.close(fd)


def get(rows: list[dict], dest: Path, args: argparse.Namespace, made: list[Path]) -> int:
    prefixes = {"benchmarks": ("benchmarks/",), "datasets": ("datasets/T91/", "datasets/BSDS200/"),
                "t91": ("datasets/T91/",), "bsds200": ("datasets/BSDS200/",)}
    if args.what in prefixes:
        wanted = [r for r in rows if r["path"].startswith(prefixes[args.what])]
    else:
        wanted = [r for r in rows if r["path"].startswith("DIV2K/") and (not args.valid_only or "valid" in r["path"])]
    problems = 0
    for row in wanted:
        if args.what == "div2k":
            problems += not get_div2k(row, dest, args, made)
        else:
            problems += get_file(row, dest, args.overwrite, made) is None
    if problems:
        print(f"{problems} of {len(wanted)} item(s) under {dest} are not as listed (see above); exit 1", file=sys.stderr)
        return 1
    print(f"done: {len(wanted)} item(s) under {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
