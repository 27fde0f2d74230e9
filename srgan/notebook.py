"""Where a chapter of the book runs, and where its data lives.

The first code cell of every notebook installs the package when it is missing (that part has to
live in the cell) and then calls `setup_notebook()`, which picks the data folder:

    Baidu AI Studio   /home/aistudio/work/shared   (AI Studio keeps only /home/aistudio/work between sessions)
    Google Colab      /content/shared              (Colab's working folder)
    a checkout        $SRGAN_SHARED, else ../shared next to the repository (srgan.config.default_shared_dir)
    anywhere else     $SRGAN_SHARED, else shared/ in the current folder (the notebook's)

and exports it as $SRGAN_SHARED, which the chapters read (their `shared_dir = None`). An
$SRGAN_SHARED the user has set always wins. Nothing is downloaded or written here: a missing
folder is reported, and the chapters then fall back to the scikit-image photos.

The chapters find the rest without paths that only a checkout has: the shipped models through
`srgan.infer.shipped_weights_dir()` (the wheel carries them; their `weights_dir = None`), and the
folder for their live training runs through `runs_dir()` (their `runs_dir = None`).

The Chinese edition's setup cell calls `setup_notebook(language="zh")`: its only code difference
from the English chapters (ci/zh.py checks that), which makes the figures, tables and printed
lines Chinese.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import MutableMapping

from . import __version__
from .config import default_shared_dir, in_checkout
from .i18n import set_language, translate_prints

AISTUDIO_WORK = Path("/home/aistudio/work")  # the persistent folder of an AI Studio project
COLAB_CONTENT = Path("/content")             # Colab's working folder


def platform(environ: MutableMapping[str, str] | None = None) -> str:
    """"aistudio", "colab" or "local": where this Python runs.

    Args:
        environ: the environment to look at (default: os.environ).
    """
    environ = os.environ if environ is None else environ
    # Colab sets COLAB_RELEASE_TAG in every runtime and imports google.colab at kernel start.
    if "COLAB_RELEASE_TAG" in environ or "google.colab" in sys.modules:
        return "colab"
    if AISTUDIO_WORK.is_dir():
        return "aistudio"
    return "local"


def data_dir(environ: MutableMapping[str, str] | None = None) -> Path:
    """The folder the chapters read benchmarks and training sets from (see the module docstring).

    Args:
        environ: the environment to look at (default: os.environ).
    """
    environ = os.environ if environ is None else environ
    if environ.get("SRGAN_SHARED"):
        return Path(environ["SRGAN_SHARED"])
    where = platform(environ)
    if where == "aistudio":
        return AISTUDIO_WORK / "shared"
    if where == "colab":
        return COLAB_CONTENT / "shared"
    if in_checkout():
        return default_shared_dir()
    return Path.cwd() / "shared"  # installed from a wheel: ../shared of site-packages means nothing; use the notebook's folder


def runs_dir() -> Path:
    """The folder the chapters' live training runs go to (their `runs_dir = None`).

    In a checkout, runs/ beside book/ (../runs from the notebook's folder; ci/execute_book.py gives
    each build its own); installed from a wheel, runs/ in the notebook's folder, so a chapter opened
    on its own writes nothing outside the folder it was opened in (../runs of a lone notebook in
    /content or /tmp/x would be /runs or /tmp/runs).
    """
    return Path.cwd().parent / "runs" if in_checkout() else Path.cwd() / "runs"


def training_dirs(train_dirs: list[str] | None, shared_dir: str | Path | None = None, *,
                  required: bool = False) -> list[str]:
    """The training folders of a chapter: `train_dirs` when given, else the paper-like T91 and
    BSDS200 under the shared folder that exist (an empty list: the chapters use scikit-image's photos).

    Args:
        train_dirs: the chapter's `train_dirs` parameter (None: look in the shared folder).
        shared_dir: the chapter's `shared_dir` (None: $SRGAN_SHARED, else ../shared).
        required: full mode: raise FileNotFoundError instead of returning no folders, since the
            paper's step count on six scikit-image photos would waste a GPU's hours.
    """
    datasets = (Path(shared_dir) if shared_dir else default_shared_dir()) / "datasets"
    if train_dirs is None:
        train_dirs = [str(datasets / name) for name in ("T91", "BSDS200") if (datasets / name).is_dir()]
    if required and not train_dirs:
        raise FileNotFoundError(f"full mode (quick = False) needs training images and {datasets} has none: fetch T91 + "
                                "BSDS200 with the repository's `python data/download.py datasets` (DIV2K: `div2k`) "
                                "or set train_dirs")
    return list(train_dirs)


def shown_path(path: str | os.PathLike) -> str:
    """`path` as a chapter prints it: "<shared>/datasets/T91" inside the data folder,
    "<repository>/weights/srresnet_x4.safetensors" inside this checkout (or "<srgan>/weights/..."
    inside the installed package), else as it is. The absolute paths of the machine that built
    the book mean nothing to its reader, who has the same files under other paths.

    Args:
        path: a file or folder.
    """
    target = Path(path).resolve()
    package = Path(__file__).resolve().parent
    code = (package.parent, "<repository>") if in_checkout() else (package, "<srgan>")
    roots = [(default_shared_dir().resolve(), "<shared>"), code]
    for root, name in roots:
        if target == root or root in target.parents:
            return "/".join([name, *target.relative_to(root).parts])
    return str(path)


def shown_paths_in(text: str) -> str:
    """`text` (a message naming files) with the data folder and this checkout written as
    shown_path writes them: "skipped 1 image(s) ...: <shared>/datasets/T91/t20.png"."""
    package = Path(__file__).resolve().parent
    code = (package.parent, "<repository>") if in_checkout() else (package, "<srgan>")
    for root, name in [(default_shared_dir(), "<shared>"), (default_shared_dir().resolve(), "<shared>"), code]:
        text = text.replace(str(root) + os.sep, name + "/")
    return text


def setup_notebook(environ: MutableMapping[str, str] | None = None, language: str = "en") -> None:
    """Export the data folder as $SRGAN_SHARED (unless set), say in one line what was found, and
    set the language of the figures and tables.

    Args:
        environ: the environment to read and update (default: os.environ).
        language: "en", or "zh" in the Chinese edition (book/zh): figure and table text in
            Chinese, in a font with Chinese glyphs (srgan.i18n.set_language).
    """
    environ = os.environ if environ is None else environ
    if language != "en":
        set_language(language)
        translate_prints(True)  # the chapter's printed lines in Chinese too, as the built book shows them
    folder = data_dir(environ)
    where = {"aistudio": "Baidu AI Studio", "colab": "Google Colab", "local": "this machine"}[platform(environ)]
    if not environ.get("SRGAN_SHARED") and folder != default_shared_dir():  # the chapters read $SRGAN_SHARED
        environ["SRGAN_SHARED"] = str(folder)
    sets = [s for s in ("benchmarks/Set5", "benchmarks/Set14", "datasets/T91", "datasets/BSDS200") if (folder / s).is_dir()]
    if sets:
        found = "found " + ", ".join(Path(s).name for s in sets)
    else:  # the chapters say so again where it matters, and use the scikit-image photos
        found = ("no benchmark or training sets there (the chapters use scikit-image's photos; the repository's "
                 f"`python data/download.py benchmarks --dest {folder}`, then `datasets`, fetches them)")
    beside = in_checkout() and Path(folder).resolve() == (Path(__file__).resolve().parents[2] / "shared").resolve()
    shown = "<repository>/../shared" if beside else folder  # the build machine's absolute path means nothing to a reader
    print(f"srgan {__version__} on {where}; data folder {shown}: {found}")
    if importlib.util.find_spec("paddle") is None:  # not a dependency of the package: CPU or GPU is the user's choice
        print("PaddlePaddle is not installed: `pip install paddlepaddle` (CPU) or paddlepaddle-gpu, then run this cell again")
