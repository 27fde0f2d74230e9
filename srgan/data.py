"""Training and benchmark data.

Training samples follow the paper (Sec. 3.2): random 96x96 HR crops, the LR input made by
bicubic x4 downsampling (MATLAB-compatible, see imresize.py), LR scaled to [0, 1] and HR to
[-1, 1]. Flips and 90-degree rotations augment the crops (as BasicSR does for SR).

Sample `i` of the training stream is a pure function of (seed, i): which image, where the crop
lies and which flips apply. The loader asks for samples by global index, so a run resumed at step
s sees exactly the batches an uninterrupted run would have seen, with any number of workers
and on any number of devices.
"""

from __future__ import annotations

import os
import signal
import warnings
from pathlib import Path

import numpy as np
import paddle
import skimage.data

from .atomic import first_line
from .config import default_shared_dir
from .image_io import list_images, read_image, read_native
from .imresize import imresize

# Colour photos bundled with scikit-image (no download): the offline default training and
# validation images when no folder is given.
SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field")


# The selection set: 25 photos held out of BSDS200 (every 8th file name in sorted order), on
# which checkpoints of a run are compared and chosen. Six photos gave +-0.3 NIQE of noise between
# neighbouring checkpoints; 25 average it down, and training never sees them (load_training_images
# leaves them out of any folder named BSDS*), so choosing on them is not choosing on training data.
SELECTION_IDS = (
    "100075", "106025", "117054", "130034", "140075", "151087", "159091", "170054", "181079",
    "187083", "198023", "216053", "23025", "239096", "249061", "268002", "285036", "311068",
    "35010", "368016", "385028", "45077", "60079", "66075", "8143",
)
SELECTION = "selection"  # the name that asks for the selection set where a benchmark folder is expected
_NOTED_FOLDERS: set[str] = set()  # folders named "selection" that is_selection has said it does not use


def is_selection(source) -> bool:
    """Whether a benchmark argument means the selection set: the bare name "selection" as a str
    (as typed after --data, or a config's val_dir). Anything with a folder part ("./selection",
    "/data/selection") and any Path is a folder, so a user's own folder named selection is
    reachable. The name wins over a folder of that name in the working folder, as the shipped
    models' names win over files (infer.resolve_weights), so a command means the same wherever
    it runs; a note then says which was used and how to ask for the folder."""
    if not (isinstance(source, str) and source == SELECTION):
        return False
    if Path(SELECTION).is_dir() and str(Path(SELECTION).resolve()) not in _NOTED_FOLDERS:
        _NOTED_FOLDERS.add(str(Path(SELECTION).resolve()))
        from .log import logger

        logger.info(f"note: --data {SELECTION} is the built-in selection set (25 BSDS200 photos), not the folder "
                    f"{SELECTION}{os.sep} here; write .{os.sep}{SELECTION} for that folder")
    return True


def is_selection_photo(path: str | os.PathLike) -> bool:
    """True for a held-out selection photo: a file named by SELECTION_IDS in a folder named BSDS*."""
    path = Path(path)
    return path.parent.name.upper().startswith("BSDS") and path.stem in SELECTION_IDS


def selection_pairs(folder: str | os.PathLike | None = None, scale: int = 4) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, LR, HR) uint8 triples of the selection set, LR by the paper's degradation.

    Args:
        folder: the BSDS200 folder (default: datasets/BSDS200 under the shared folder).
        scale: upscaling factor.

    Raises:
        FileNotFoundError: naming the folder or the missing photos.
    """
    return [(path.name, *degraded_pair(read_image(path), scale)) for path in selection_files(folder)]


def selection_files(folder: str | os.PathLike | None = None) -> list[Path]:
    """The selection set's photo files in the BSDS200 `folder` (default: datasets/BSDS200 under
    the shared folder); FileNotFoundError naming the folder and the missing photos."""
    folder = Path(folder) if folder is not None else default_shared_dir() / "datasets" / "BSDS200"
    missing = [name for name in SELECTION_IDS if not (folder / f"{name}.png").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: the selection set needs BSDS200's photos {', '.join(missing[:5])}"
                                f"{' ...' if len(missing) > 5 else ''} (the repository's `python data/download.py datasets` fetches BSDS200)")
    return [folder / f"{name}.png" for name in SELECTION_IDS]


def offline_default_images() -> list[tuple[str, np.ndarray]]:
    """(name, uint8 RGB image) pairs of the colour photos that scikit-image ships."""
    images = []
    for name in SKIMAGE_PHOTOS:
        try:
            images.append((f"skimage:{name}", np.ascontiguousarray(getattr(skimage.data, name)()[:, :, :3])))
        except Exception as e:  # a scikit-image version without this photo, or needing a download
            warnings.warn(f"scikit-image photo {name!r} unavailable ({type(e).__name__}); skipped", stacklevel=2)
    if not images:
        raise RuntimeError("no scikit-image sample photos could be loaded; pass a folder of training images")
    return images


def load_training_images(dirs: list[str | os.PathLike], min_size: int) -> list[tuple[str, np.ndarray]]:
    """Read every image in `dirs` into memory as uint8 RGB.

    Images smaller than `min_size` on either side cannot give a crop: they are skipped with a
    warning naming them. The selection set's photos (SELECTION_IDS in a BSDS* folder) are left
    out: checkpoints are chosen on them. Unreadable files raise one error naming them all (see
    image_io), so that one run tells the user every file to fix. An empty `dirs` returns the
    offline default photos.
    """
    if not dirs:
        pairs = offline_default_images()
    else:
        pairs, bad, count = [], [], 0
        for d in dirs:
            files = list_images(d)  # raises FileNotFoundError naming a missing folder
            if not files:
                raise FileNotFoundError(f"{d}: no image files (.png, .jpg, ...) in this folder")
            for f in files:
                if is_selection_photo(f):
                    continue
                count += 1
                try:
                    pairs.append((str(f), read_image(f)))
                except (OSError, ValueError) as e:
                    bad.append((f, e))
        if len(bad) == 1:
            raise bad[0][1]
        if bad:
            named = ", ".join(str(f) for f, _ in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
            raise ValueError(f"{len(bad)} of {count} training images cannot be read ({named}); the first: {bad[0][1]}")
    kept = [(name, img) for name, img in pairs if min(img.shape[:2]) >= min_size]
    small = [name for name, img in pairs if min(img.shape[:2]) < min_size]
    if small:
        warnings.warn(f"skipped {len(small)} image(s) smaller than {min_size} px: {', '.join(small)}", stacklevel=2)
    if not kept:
        raise ValueError(f"no training image is at least {min_size}x{min_size} px in {list(map(str, dirs))}")
    return kept


def augment(image: np.ndarray, flip_h: bool, flip_v: bool, transpose: bool) -> np.ndarray:
    """Flips and transpose: together the 8 symmetries of the square (flips + 90-degree rotations)."""
    if flip_h:
        image = image[:, ::-1]
    if flip_v:
        image = image[::-1]
    if transpose:
        image = image.transpose(1, 0, 2)
    return image


def lr_to_tensor(lr: np.ndarray) -> np.ndarray:
    """uint8 HWC -> float32 CHW in [0, 1] (the generator's input range, paper Sec. 3.2)."""
    return np.ascontiguousarray(lr.transpose(2, 0, 1), dtype=np.float32) / 255.0


def hr_to_tensor(hr: np.ndarray) -> np.ndarray:
    """uint8 HWC -> float32 CHW in [-1, 1] (the HR range, paper Sec. 3.2)."""
    return np.ascontiguousarray(hr.transpose(2, 0, 1), dtype=np.float32) / 127.5 - 1.0


def sr_to_uint8(sr) -> np.ndarray:
    """Generator output (N, 3, H, W) or (3, H, W) in [-1, 1] (tensor or array) -> uint8 NHWC / HWC."""
    arr = sr.numpy() if hasattr(sr, "numpy") else np.asarray(sr)
    arr = np.clip(np.round((arr.astype(np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return arr.transpose(0, 2, 3, 1) if arr.ndim == 4 else arr.transpose(1, 2, 0)


class TrainCrops(paddle.io.Dataset):
    """Random (LR, HR) crop pairs; sample i is determined by (seed, i).

    Args:
        images: (name, uint8 RGB) pairs, each at least hr_size on both sides.
        hr_size: HR crop side (paper: 96); must be a multiple of `scale`.
        scale: downscaling factor for the LR input (paper: 4).
        augment: random flips / 90-degree rotations.
        seed: stream seed.
        length: nominal length (the stream is indexed, not iterated; samplers pick indices).
    """

    def __init__(self, images, hr_size: int = 96, scale: int = 4, augment: bool = True, seed: int = 0, length: int = 2**31 - 1):
        super().__init__()
        if hr_size % scale:
            raise ValueError(f"hr_size {hr_size} must be a multiple of scale {scale}")
        too_small = [name for name, img in images if min(img.shape[:2]) < hr_size]
        if too_small:
            raise ValueError(f"images smaller than the {hr_size} px crop: {too_small}")
        self.images = [img for _, img in images]
        self.names = [name for name, _ in images]
        self.hr_size, self.scale, self.augment, self.seed, self.length = hr_size, scale, augment, seed, length

    def __len__(self):
        return self.length

    def crop(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """uint8 (LR, HR) crops of sample `index`, HWC."""
        rng = np.random.default_rng([self.seed, index])
        img = self.images[rng.integers(len(self.images))]
        h, w = img.shape[:2]
        top, left = rng.integers(h - self.hr_size + 1), rng.integers(w - self.hr_size + 1)
        hr = img[top : top + self.hr_size, left : left + self.hr_size]
        if self.augment:
            hr = augment(hr, *(rng.random(3) < 0.5))
        hr = np.ascontiguousarray(hr)
        lr = imresize(hr, scale=1.0 / self.scale)  # MATLAB bicubic, uint8 as the benchmark LR files
        return lr, hr

    def __getitem__(self, index):
        lr, hr = self.crop(int(index))
        return lr_to_tensor(lr), hr_to_tensor(hr)


class StepBatchSampler(paddle.io.Sampler):
    """Yields the sample indices of steps start_step, start_step + 1, ... for one device.

    Step s on rank r of `world` devices takes indices (s * world + r) * batch + [0, batch): each
    device sees its own crops, and resuming at step s continues the same stream.
    """

    def __init__(self, batch_size: int, start_step: int = 0, end_step: int = 2**31 - 1, rank: int = 0, world_size: int = 1):
        self.batch_size, self.start_step, self.end_step = batch_size, start_step, end_step
        self.rank, self.world_size = rank, world_size

    def __iter__(self):
        for step in range(self.start_step, self.end_step):
            first = (step * self.world_size + self.rank) * self.batch_size
            yield list(range(first, first + self.batch_size))

    def __len__(self):
        return max(0, self.end_step - self.start_step)


class DataLoaderError(RuntimeError):
    """The data loader failed: a worker raised an exception or died."""


def train_loader(dataset: TrainCrops, batch_size: int, start_step: int, end_step: int, num_workers: int = 2, rank: int = 0, world_size: int = 1):
    """The batches of steps [start_step, end_step) on one device, as (LR, HR) tensor pairs.

    num_workers > 0: a paddle.io.DataLoader with worker processes; a worker that raises or
    dies ends the iteration with a DataLoaderError. num_workers == 0: the batches are made in
    the calling thread (Paddle's single-process loader fills its queue from a thread, and an
    exception there leaves the consumer waiting forever), so an error is raised where it happens.
    """
    sampler = StepBatchSampler(batch_size, start_step, end_step, rank, world_size)
    if num_workers == 0:
        return _InlineLoader(dataset, sampler)
    return _CheckedLoader(paddle.io.DataLoader(dataset, batch_sampler=sampler, num_workers=num_workers, use_shared_memory=False,
                                               worker_init_fn=_leave_sigterm_to_the_trainer))


def _leave_sigterm_to_the_trainer(worker_id: int) -> None:
    """A worker ignores SIGTERM. `pkill -f <run folder>` or a scheduler signalling the process
    group reaches the workers too (their command line is the trainer's); a worker that died of
    it ended the run with Paddle's traceback and exit status 1 instead of the trainer's stop
    with a checkpoint (exit 130). The trainer ends its workers itself, through their queues, and
    a worker whose trainer is gone exits on its own (Paddle watches the parent)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class _InlineLoader:
    def __init__(self, dataset, sampler):
        self.dataset, self.sampler = dataset, sampler

    def __len__(self):
        return len(self.sampler)

    def __iter__(self):
        for indices in self.sampler:
            samples = [self.dataset[i] for i in indices]
            yield tuple(paddle.to_tensor(np.stack(field)) for field in zip(*samples))


class _CheckedLoader:
    def __init__(self, loader):
        self.loader = loader

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        iterator = iter(self.loader)
        try:
            while True:
                try:
                    batch = next(iterator)
                except StopIteration:
                    return
                except (SystemError, RuntimeError) as e:  # Paddle: "Blocking queue is killed because the data reader raises an exception"
                    detail = first_line(e, limit=200)
                    raise DataLoaderError(f"a data-loader worker failed or died ({detail}); its own error is printed above, "
                                          "or run with --num-workers 0 to get it here") from e
                yield batch
        finally:  # the end, an error, or the trainer leaving its loop (a stop): the workers go now
            _shut_down(iterator)


def _shut_down(iterator, timeout: float = 5.0) -> None:
    """Stop a Paddle loader's thread and worker processes now. Left to its __del__ or to
    Python's exit, the cleanup joins the workers without a timeout and can hang the process's
    exit (Paddle 2.6), or SIGTERMs workers that ignore it (see _leave_sigterm_to_the_trainer)."""
    try:
        iterator._try_shutdown_all(timeout)
    except Exception:  # noqa: BLE001 - a private API; the workers are killed below anyway
        pass
    for worker in getattr(iterator, "_workers", []):
        if worker.is_alive():
            worker.kill()
            worker.join(timeout)


class PairedImages:
    """A benchmark folder: <root>/HR/<name> and <root>/LR_bicubic_x<scale>/<name>, paired by name.

    Yields (name, LR uint8, HR uint8); a grayscale file stays 2-D (the paper's protocol uses its
    value as Y), so images are read with `read_native`, not converted to RGB.
    """

    def __init__(self, root: str | os.PathLike, scale: int = 4, max_images: int | None = None):
        root = Path(root)
        hr_dir, lr_dir = root / "HR", root / f"LR_bicubic_x{scale}"
        if root.is_file():
            raise NotADirectoryError(f"{root}: is a file, not a benchmark folder (one that holds HR/ and LR_bicubic_x{scale}/)")
        for d in (hr_dir, lr_dir):
            if d.exists() and not d.is_dir():  # said as what it is: "missing" sent the user looking for a folder that is there
                raise NotADirectoryError(f"{d}: is a file, not a folder; a benchmark folder holds HR/ and LR_bicubic_x{scale}/")
            if not d.is_dir():
                raise FileNotFoundError(f"{d}: missing; a benchmark folder holds HR/ and LR_bicubic_x{scale}/")
        hr_files = list_images(hr_dir)
        missing = [f.name for f in hr_files if not (lr_dir / f.name).is_file()]
        if missing:
            raise FileNotFoundError(f"{lr_dir}: no LR file for {missing}")
        # An LR file without its HR file is an error too, not left out in silence: the benchmark's
        # score would be over fewer images than the folder holds (a misnamed HR file, say).
        orphans = [f.name for f in list_images(lr_dir) if not (hr_dir / f.name).is_file()]
        if orphans:
            raise FileNotFoundError(f"{hr_dir}: no HR file for {orphans}")
        if not hr_files:
            raise FileNotFoundError(f"{hr_dir}: no images")
        self.root, self.scale = root, scale
        self.pairs = [(f.name, lr_dir / f.name, f) for f in hr_files][:max_images]

    def __len__(self):
        return len(self.pairs)

    def __iter__(self):
        for name, lr_path, hr_path in self.pairs:
            yield name, *self._load(lr_path, hr_path)

    def check(self, min_side: int = 0) -> None:
        """Read every pair before any is scored; raise ValueError naming all pairs that cannot
        be (a benchmark's mean over fewer images is not its score), one line, the first's reason.

        Args:
            min_side: the smallest HR side the scoring can take (evaluate: SSIM's 11 px window plus
                the border it crops), so that a too-small pair is named with the others, before
                any is scored, and not found one per run.
        """
        bad = []
        for name, lr_path, hr_path in self.pairs:
            try:
                _, hr = self._load(lr_path, hr_path)
                if min(hr.shape[:2]) < min_side:
                    raise ValueError(f"{hr_path}: {hr.shape[1]}x{hr.shape[0]} px; scoring needs at least "
                                     f"{min_side}x{min_side} (SSIM's 11x11 window after the border it crops)")
            except (OSError, ValueError) as e:
                bad.append((name, str(e)))
        if len(bad) == 1:
            raise ValueError(bad[0][1])
        if bad:
            raise ValueError(f"{self.root}: {len(bad)} of {len(self.pairs)} pairs cannot be scored "
                             f"({', '.join(name for name, _ in bad)}); the first: {bad[0][1]}")

    def _load(self, lr_path: Path, hr_path: Path) -> tuple[np.ndarray, np.ndarray]:
        """(LR, HR) of one pair, checked: HR = scale x LR, both colour or both grayscale."""
        lr, hr = read_native(lr_path), read_native(hr_path)
        expected = (hr.shape[0] // self.scale, hr.shape[1] // self.scale)
        if lr.shape[:2] != expected or hr.shape[0] % self.scale or hr.shape[1] % self.scale:
            raise ValueError(f"{lr_path}: {lr.shape[1]}x{lr.shape[0]} px, but {hr_path.name} in HR/ is "
                             f"{hr.shape[1]}x{hr.shape[0]}; an x{self.scale} pair needs HR = {self.scale} x LR "
                             f"(HR cropped to a multiple of {self.scale})")
        if lr.ndim != hr.ndim:  # said here: the upscaler would be blamed for the shape of its output
            kinds = {2: "grayscale", 3: "colour"}
            raise ValueError(f"{lr_path}: {kinds[lr.ndim]}, but {hr_path.name} in HR/ is {kinds[hr.ndim]}; "
                             "an LR file and its HR file must both be colour or both grayscale")
        return lr, hr


def benchmark_pairs(source: str | os.PathLike, scale: int = 4, max_images: int | None = None):
    """(name, LR, HR) triples of a benchmark: a folder with HR/ and LR_bicubic_x<scale>/
    (PairedImages), or "selection", the selection set held out of BSDS200 (selection_pairs; the
    bare name only, see is_selection)."""
    if is_selection(source):
        return selection_pairs(scale=scale)[:max_images]
    return PairedImages(source, scale=scale, max_images=max_images)


def degraded_pair(image: np.ndarray, scale: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(LR, HR) of a whole photo by the paper's degradation (Sec. 3.1, bicubic x1/scale).

    HR is the photo cropped at the bottom and right to a multiple of `scale`, so that LR is
    exactly 1/scale of it; LR is its MATLAB-compatible bicubic downscale (srgan.imresize).
    """
    hr = np.ascontiguousarray(image[: image.shape[0] // scale * scale, : image.shape[1] // scale * scale])
    return imresize(hr, scale=1.0 / scale), hr


def default_validation_pairs(val_dir: str | None, scale: int = 4, max_images: int | None = None):
    """(name, LR, HR) uint8 triples for validation.

    `val_dir` if given (a benchmark folder, or "selection", see benchmark_pairs); else Set5 in
    the shared folder if present; else the scikit-image photos centre-cropped to a multiple of
    `scale` (LR made with the MATLAB bicubic).
    """
    set5 = default_shared_dir() / "benchmarks" / "Set5"
    if val_dir is None and set5.is_dir():
        val_dir = str(set5)
    if val_dir is not None:
        return list(benchmark_pairs(val_dir, scale=scale, max_images=max_images))
    triples = []
    for name, img in offline_default_images()[:max_images]:
        h, w = (min(s, 256) // scale * scale for s in img.shape[:2])  # small centre crops keep it fast
        top, left = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
        triples.append((name, *degraded_pair(img[top : top + h, left : left + w], scale)))
    return triples
