"""Command line interface: `srgan <command> --help` (also `python -m srgan`).

Each command maps its flags onto the package's functions and config dataclasses; the
work itself lives in the modules (evaluate.py, train.py, infer.py, ...). Each command has
an `add_<name>_parser(subparsers)` that declares its flags and a `cmd_<name>(args)` that
runs it.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .atomic import first_line

# Exit status, the same for every command (printed in each --help).
EXIT_OK = 0  # done
EXIT_SOME_FAILED = 1  # some inputs failed (reported one line each); the others are done
EXIT_USER_ERROR = 2  # nothing done: a bad flag, file or folder (one line; --debug for the traceback)
EXIT_DIVERGED = 3  # training stopped at a non-finite loss; the last finite checkpoint is kept
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM; training saved a checkpoint first (continue with --resume)
EPILOG = ("exit status: 0 done, 1 some inputs failed (the others are done), 2 user error or every input bad (nothing done; "
          "--debug or SRGAN_DEBUG=1 shows the traceback), 3 training diverged (non-finite loss; the last finite "
          "checkpoint is kept), 130 interrupted by Ctrl-C or SIGTERM (training saves a checkpoint first). "
          "Existing outputs are replaced only with --overwrite, and never an input.")


def path_arg(text: str) -> str:
    """argparse type for paths: the empty string is refused (it would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path")
    return text


def generator_arg(text: str) -> str:
    """argparse type for --init-generator: a path, or a shipped model's short name ("srresnet",
    "srgan") where no file of that name is here, as `srgan upscale --weights` takes them."""
    import os

    from .infer import SHIPPED_MODELS, shipped_weights

    if text in SHIPPED_MODELS and not os.path.exists(text):
        return str(shipped_weights(text))
    return path_arg(text)


def folder_arg(text: str) -> str:
    """path_arg with a leading "~" expanded (a quoted "~/cache", or one in a config, made a folder
    named "~" in the current one)."""
    import os

    return os.path.expanduser(path_arg(text))


def positive_int(text: str) -> int:
    """argparse type for sizes and counts: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


# --- srgan info ------------------------------------------------------------------------
def add_info_parser(sub):
    p = sub.add_parser("info", help="print versions, device, parameter counts of the paper's networks and the shipped models",
                       description="Print the versions of srgan, Python and Paddle, the device it would use, the parameter "
                       "counts of the paper's generator and discriminator (or of the sizes given), and the shipped models "
                       "with their scores.")
    p.add_argument("--blocks", type=positive_int, default=16, help="residual blocks B (paper: 16)")
    p.add_argument("--channels", type=positive_int, default=64, help="feature maps (paper: 64)")
    p.add_argument("--scale", type=int, default=4, choices=[2, 4, 8])
    p.set_defaults(func=cmd_info)


def cmd_info(args) -> int:
    import paddle

    from .device import pick_device
    from .config import Config, ModelConfig
    from .infer import SHIPPED_MODELS, shipped_weights
    from .models import Discriminator, Generator

    wrong = Config(model=ModelConfig(scale=args.scale, num_blocks=args.blocks, channels=args.channels)).problems()
    if wrong:  # checked before building: --channels 300000 would ask for terabytes
        raise ValueError(f"info: {wrong[0]}")
    g = Generator(scale=args.scale, num_blocks=args.blocks, channels=args.channels)
    d = Discriminator(channels=args.channels)
    print(f"srgan-paddle {__version__}, paddle {paddle.__version__}, device {pick_device()}")
    print(f"generator (SRResNet, B={args.blocks}, {args.channels} ch, x{args.scale}): {g.num_parameters():,} parameters")
    print(f"discriminator (96x96 input): {d.num_parameters():,} parameters")
    print("shipped models (--weights NAME; scores from their model cards, paper protocol):")
    for name in SHIPPED_MODELS:
        print(f"  {name:<9}{_card_summary(shipped_weights(name))}")
    return 0


def _card_summary(weights) -> str:
    """One line about a shipped model: its file and the Set5/Set14 PSNR and NIQE of its card."""
    import json

    if not weights.is_file():
        return f"{weights}: missing"
    try:
        scores = json.loads(weights.with_suffix(".json").read_text())["scores"]
        measured = ", ".join(f"{s} {scores[s]['model']['psnr']:.2f} dB / NIQE {scores[s]['model']['niqe']:.2f}"
                             for s in ("Set5", "Set14") if s in scores)
    except (OSError, ValueError, KeyError, TypeError) as e:  # a card is a courtesy here, not a requirement
        measured = f"no scores ({type(e).__name__} reading its card)"
    return f"{weights}  ({measured})"


# --- srgan evaluate --------------------------------------------------------------------
def add_evaluate_parser(sub):
    p = sub.add_parser(
        "evaluate",
        help="PSNR/SSIM, NIQE and the look measures on a benchmark folder with the paper's protocol",
        description="Upscale each LR image of benchmark folders (HR/ + LR_bicubic_x<scale>/) and print "
        "PSNR and SSIM (Daala and MATLAB variants) on the Y channel, border removed (paper Sec. 3.1), beside "
        "NIQE (no reference; lower = more natural), the pixel-shuffle grid, colour shift and colour speckle "
        "(chapter 7 of the book). Takes a few seconds per image on a CPU.",
    )
    p.add_argument(
        "--method",
        choices=["bicubic", "model"],
        default=None,
        help="bicubic baseline or a trained generator (default: model if --weights is given, else bicubic)",
    )
    p.add_argument(
        "--data",
        nargs="+",
        type=path_arg,
        default=None,
        metavar="DIR",
        help="benchmark folders, or 'selection' (25 BSDS200 photos held out of training, on which checkpoints are chosen; "
        "the bare name always means that set: write ./selection for a folder of that name) "
        "(default: Set5 and Set14 under $SRGAN_SHARED/benchmarks, else ../shared/benchmarks)",
    )
    p.add_argument("--weights", type=path_arg, default=None, metavar="FILE.safetensors",
                   help="generator weights for --method model, or a shipped model: srresnet, srgan")
    p.add_argument("--crop-border", type=int, default=4, help="pixels removed from each side before scoring (paper: 4)")
    p.add_argument("--scale", type=int, default=4, help="upscaling factor, a power of two; selects LR_bicubic_x<scale>/ (paper: 4)")
    p.add_argument("--device", default=None, help="cpu, gpu, gpu:N (default: GPU if available)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar over the images (also when stderr is not a terminal)")
    p.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args) -> int:
    from .evaluate import evaluate_benchmark, format_table, resolve_evaluation, scores_off_the_table
    from .infer import resolve_weights

    upscaler, label, data_dirs = resolve_evaluation(method=args.method, weights=resolve_weights(args.weights), data=args.data,
                                                    scale=args.scale, crop_border=args.crop_border, device=args.device)
    failed = 0
    for data_dir in data_dirs:  # a bad folder is reported and the others still scored
        try:
            results = evaluate_benchmark(upscaler, data_dir, scale=args.scale, crop_border=args.crop_border,
                                         progress=_progress(args))
        except USER_ERRORS as e:
            if args.debug or len(data_dirs) == 1:
                raise  # one folder: a user error like any other (main prints it)
            print(f"error: {first_line(e)}", file=sys.stderr)
            failed += 1
            continue
        also = scores_off_the_table(results)
        print(f"## {label}: {format_table(results)}\n" + (f"\n{also}\n" if also else ""))
    if failed == len(data_dirs):
        return EXIT_USER_ERROR  # nothing was scored
    return EXIT_SOME_FAILED if failed else EXIT_OK


# --- srgan train -----------------------------------------------------------------------
# Every field of ModelConfig / DataConfig / TrainConfig is a flag (--num-blocks, --hr-size,
# --lr, ...). The preset (--quick, else the paper's values for --phase) is applied first,
# then the flags that were given override it.
_TRAIN_ALIASES = {"train_dirs": ["--data"], "out_dir": ["--out"]}
_TRAIN_PATHS = ("train_dirs", "val_dir", "out_dir", "init_generator", "vgg_weights")


def _field_flag_type(f):
    """argparse (type, nargs) for a dataclass field, read from its annotation string."""
    ann = str(f.type)
    if "list[int]" in ann:
        return int, "*"
    if "list[str]" in ann:
        return str, "+"
    if ann.startswith("bool"):
        return "bool", None
    if ann.startswith("int"):
        return int, None
    if ann.startswith("float"):
        return float, None
    return str, None


def _none_or(kind):
    return lambda text: None if text.lower() == "none" else kind(text)


def _all_or(kind):  # --keep-last all (or none): keep every checkpoint
    return lambda text: None if text.lower() in ("all", "none") else kind(text)


def add_train_parser(sub):
    import dataclasses

    from .config import PHASES, VGG_ENGINES, DataConfig, ModelConfig, TrainConfig, field_help

    choices = {"phase": list(PHASES), "vgg_engine": list(VGG_ENGINES)}
    p = sub.add_parser(
        "train",
        help="train SRResNet (phase 1) or SRGAN (phase 2)",
        description="Train one phase. Defaults are the paper's (Sec. 3.2); --quick is a 2-core CPU preset. "
        "Several devices: python -m paddle.distributed.launch --gpus 0,1 \"$(command -v srgan)\" train ... "
        "(CPU processes: --nproc_per_node 2 instead of --gpus).",
    )
    p.add_argument("--quick", action="store_true", help="start from the quick CPU preset instead of the paper's values")
    p.add_argument("--resume", nargs="?", const=True, default=False, metavar="CKPT", type=path_arg,
                   help="continue from CKPT, or from the newest readable checkpoint in --out, with that run's settings (flags "
                   "need not be repeated). In --out itself, the "
                   "flags must be the run's own (a changed --lr, --batch-size, --seed ... is refused, naming them) and "
                   "CKPT its newest checkpoint; to branch from an earlier checkpoint or with other values, give a new "
                   "--out: that run records the one it continues as an earlier segment")
    p.add_argument("--overwrite", action="store_true",
                   help="start afresh in an --out that holds another run, deleting that run's files")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (also when stderr is not a terminal: a line per validation instead)")
    for klass in (ModelConfig, DataConfig, TrainConfig):
        group = p.add_argument_group(klass.__name__)
        described = field_help(klass)  # the dataclass's own Args: docstring
        for f in dataclasses.fields(klass):
            flags = [f"--{f.name.replace('_', '-')}"] + _TRAIN_ALIASES.get(f.name, [])
            kind, nargs = _field_flag_type(f)
            about = described.get(f.name, "").replace("%", "%%")
            if kind == "bool":
                group.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                                   help=about)
            else:
                optional = "None" in str(f.type)
                kind = (generator_arg if f.name == "init_generator" else path_arg) if f.name in _TRAIN_PATHS else kind
                kind = _all_or(kind) if f.name == "keep_last" else _none_or(kind) if optional else kind
                group.add_argument(*flags, dest=f.name, type=kind, nargs=nargs, default=argparse.SUPPRESS,
                                   choices=choices.get(f.name), help=about)
    p.set_defaults(func=cmd_train)


def _resumed_config(args):
    """The config that `--resume` continues: the checkpoint's own (--resume CKPT) or the --out run's
    (bare --resume), so that continuing needs no flag repeated (the flags given still apply on
    top: a new --out branches, a changed value in the run's own folder is refused by the trainer).
    None when there is nothing to read (a new run)."""
    from pathlib import Path

    from . import checkpoint as ckpt
    from . import runs
    from .config import Config

    out_dir = getattr(args, "out_dir", None)
    if isinstance(args.resume, str) and Path(args.resume).is_file():
        state = ckpt.load_checkpoint(args.resume)
        # what the trainer will build (with the discriminator in phase 2): no larger than the file holds
        cfg = ckpt.check_network_sizes(state, args.resume, discriminator=state.get("phase") == "gan")
        steps = getattr(args, "steps", cfg.train.steps)
        if int(state["step"]) >= steps:  # checked before a folder is made: it would hold a run that never trained
            raise ValueError(f"{args.resume}: is at step {int(state['step']):,}; --steps {steps:,} leaves nothing to "
                             "train (raise --steps)")
        if not out_dir:
            # Never the folder a file names inside itself (one sent by someone else could name any
            # path): the checkpoint's own run folder, or --out.
            home = Path(args.resume).resolve().parent
            if not runs.read_info(home).get("config"):
                raise ValueError(f"{args.resume}: is not in its run's folder; give --out, the folder to continue in")
            cfg.train.out_dir = str(home)
        return cfg
    if args.resume is True and out_dir and (saved := runs.read_info(out_dir).get("config")):
        # The run's config.json decides what is built; its newest checkpoint must hold that much.
        if found := runs.checkpoints(out_dir):
            state = ckpt.load_checkpoint(found[-1])
            return ckpt.check_network_sizes(state, str(found[-1]), config=saved, discriminator=state.get("phase") == "gan")
        return Config.from_dict(saved)
    return None


def train_config_from_args(args):
    """The Config for `srgan train`: preset first, then every flag that was given."""
    import dataclasses

    from .config import paper, quick

    phase = getattr(args, "phase", None) or "pretrain"
    cfg = _resumed_config(args) or (quick(phase) if args.quick else paper(phase))
    for section in (cfg.model, cfg.data, cfg.train):
        for f in dataclasses.fields(section):
            if hasattr(args, f.name):  # given, possibly as "none" (flags not given are absent: SUPPRESS)
                setattr(section, f.name, getattr(args, f.name))
    return cfg


def cmd_train(args) -> int:
    from .train import Trainer

    cfg = train_config_from_args(args)
    progress = _progress(args)
    trainer = Trainer(cfg, progress=progress, report_lines=not progress)

    def announce():  # once the run folder is accepted: a refused folder is one error line, not a run's header first
        if trainer.is_main:
            vgg = f", {cfg.train.content_loss} loss by {trainer.vgg_engine}" if trainer.discriminator is not None and cfg.train.content_loss != "mse" else ""
            print(f"phase {cfg.train.phase} on {trainer.device} x{trainer.world_size}{vgg}, out {cfg.train.out_dir}", flush=True)

    metrics = trainer.fit(resume=args.resume, overwrite=args.overwrite, on_start=announce)
    if trainer.is_main and metrics:
        print(f"last validation (step {metrics['step']}): PSNR {metrics['psnr']:.2f} dB, SSIM {metrics['ssim_daala']:.4f}")
    # Stopped by Ctrl-C or SIGTERM (with a checkpoint): not done, so `train && release` stops here.
    return EXIT_INTERRUPTED if trainer.interrupted else EXIT_OK


# --- srgan upscale / export ------------------------------------------------------------
def add_upscale_parser(sub):
    p = sub.add_parser(
        "upscale",
        help="upscale images or folders of images (tiled, any size)",
        description="Upscale image files and folders. Grayscale stays grayscale, alpha is resized "
        "bicubically, EXIF rotation is applied. The output keeps the photo's colour profile and its EXIF "
        "camera, exposure, date, author and copyright (JPEG, PNG, WebP, TIFF outputs), not its GPS position or maker "
        "notes. A bad file is reported and the others still complete (exit code 1 if any failed).",
    )
    p.add_argument("inputs", nargs="+", type=path_arg, metavar="INPUT", help="image files and/or folders of images (a folder's own images; its subfolders are not searched)")
    p.add_argument("-o", "--output", required=True, type=path_arg, metavar="OUT",
                   help="output folder (PNG files named after the inputs), or a file name whose extension picks the format (one input)")
    p.add_argument("--weights", type=path_arg, default=None, metavar="FILE|NAME",
                   help="a shipped model, srresnet (the default) or srgan, or a generator .safetensors, or a folder "
                   "from `srgan export`. The default is SRResNet, the faithful one: Set14 27.68 dB PSNR against "
                   "SRGAN's 27.16 (model cards weights/*.json), with smoother texture; srgan draws sharper, partly "
                   "invented texture that does not always follow the photo (Set14 NIQE 4.77 against 7.00, lower = more natural)")
    p.add_argument("--tile", type=int, default=128, help="LR tile side in pixels; 0 = whole image at once (default 128)")
    p.add_argument("--tile-pad", type=int, default=16, help="LR pixels of context around each tile (default 16)")
    p.add_argument("--engine", default="auto", choices=["auto", "inference", "dygraph", "openvino"],
                   help="auto = the fastest that works: OpenVINO (if this Paddle wheel has it), else Paddle Inference "
                   "with oneDNN, else dygraph (default auto)")
    p.add_argument("--device", default="auto", help="auto, cpu, gpu or gpu:N (default auto)")
    p.add_argument("--tensorrt", action="store_true",
                   help="on GPU, run Paddle Inference with TensorRT (refused on the CPU, with --engine dygraph/openvino or --tile 0)")
    p.add_argument("--bf16", action="store_true",
                   help="OpenVINO engine only: bfloat16 compute, faster on CPUs with AVX512-BF16 "
                   "(benchmarks/inference.py measures it), outputs within a few 8-bit levels of the default float32")
    p.add_argument("--perception", type=float, default=None, metavar="ALPHA",
                   help="perception-distortion dial in [0, 1]: the shipped SRResNet (0, highest PSNR, smoother) "
                   "and SRGAN (1, most natural texture) weights interpolated; not with --weights")
    p.add_argument("--cache-dir", default=None, type=folder_arg,
                   help="where exported models are cached (default $SRGAN_CACHE, else $XDG_CACHE_HOME/srgan or ~/.cache/srgan); "
                   "each weights file and each --perception value adds about 18 MB there; the folder may be deleted "
                   "at any time (what is needed is rebuilt)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files (never an input)")
    p.add_argument("--skip-existing", action="store_true",
                   help="leave outputs that already exist and upscale the rest (a batch run again after an interruption)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (also when stderr is not a terminal: a log)")
    p.set_defaults(func=cmd_upscale, without_paddle=upscale_without_paddle)


def cmd_upscale(args) -> int:
    import warnings

    from .infer import BatchReport, Upscaler, plan_outputs, upscale_files
    from .interrupt import StopOnSigterm

    if args.overwrite and args.skip_existing:
        print("error: --overwrite and --skip-existing contradict each other: give one", file=sys.stderr)
        return EXIT_USER_ERROR
    # Nothing to upscale (no input exists, empty folders, "-o one.jpg" for two inputs): said before an
    # engine is loaded, not after a line announcing one (the batch plans again, with its warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            planned, unplanned = plan_outputs(args.inputs, args.output)
        except (OSError, ValueError) as e:
            if args.debug:
                raise
            print(f"error: {first_line(e)}", file=sys.stderr)
            return EXIT_USER_ERROR
    if not planned and unplanned:
        if args.debug:
            raise FileNotFoundError(unplanned[0][1])
        for source, message in unplanned:
            stdin = " (reading standard input is not supported: give the image's file name)" if source == "-" else ""
            print(f"error: {message}{stdin}", file=sys.stderr)
        print(f"0 written, {len(unplanned)} failed", file=sys.stderr)
        return EXIT_USER_ERROR
    with warnings.catch_warnings():
        # One line per warning ("warning: <file>: 16-bit RGB image read as 8 bits ..."), no source echo.
        warnings.showwarning = lambda message, *rest, **kw: print(f"warning: {message}", file=sys.stderr)
        try:  # setup problems (no weights, bad flags) end the command with one clear line
            from .export_files import check_cache_dir

            args.cache_dir, named = _named_cache(args.cache_dir)
            if args.cache_dir is not None:
                # read-only is fine once the export is there (upscale_without_paddle: found in it)
                args.cache_dir = check_cache_dir(args.cache_dir, needs_writing=not upscale_without_paddle(args), named=named)
            upscaler = Upscaler(weights=args.weights, engine=args.engine, device=args.device, tile=args.tile,
                                tile_pad=args.tile_pad, cache_dir=args.cache_dir, tensorrt=args.tensorrt, bf16=args.bf16,
                                perception=args.perception)
        except (OSError, ValueError, RuntimeError) as e:
            if args.debug:
                raise
            print(f"error: {e}", file=sys.stderr)
            return EXIT_USER_ERROR
        print(f"engine {upscaler.engine}{_runtime_note(upscaler)}{' bf16' if args.bf16 else ''} on {upscaler.device}, "
              f"x{upscaler.scale}, " + (f"tile {args.tile} + pad {args.tile_pad}" if args.tile else "the whole image at once")
              + f" (receptive radius {upscaler.receptive_radius})",
              file=sys.stderr)
        try:
            # `kill` (SIGTERM) stops like Ctrl-C: an image being written leaves no temp file.
            report = BatchReport()  # filled as the batch goes: after Ctrl-C it names what was finished
            with StopOnSigterm():
                upscale_files(args.inputs, args.output, upscaler=upscaler, overwrite=args.overwrite,
                              skip_existing=args.skip_existing, progress=_progress(args), debug=args.debug, report=report)
        except (OSError, ValueError) as e:  # e.g. -o file.png with several inputs, -o under a file
            if args.debug:
                raise
            print(f"error: {e}", file=sys.stderr)
            return EXIT_USER_ERROR
        except KeyboardInterrupt:
            for path in report.written:
                print(path)
            print(f"interrupted: the {len(report.written)} image(s) written before this are complete; none is half-written",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
    for path in report.written:
        print(path)
    for _, message in report.failed:
        print(f"error: {message}", file=sys.stderr)
    skipped = f", {len(report.skipped)} skipped (already there)" if report.skipped else ""
    print(f"{len(report.written)} written{skipped}, {len(report.failed)} failed", file=sys.stderr)
    if report.failed and not report.written and not report.skipped:
        return EXIT_USER_ERROR  # nothing was upscaled or already there (as evaluate and compare say it)
    return EXIT_SOME_FAILED if report.failed else EXIT_OK


def _named_cache(cache_dir: str | None) -> tuple[str | None, str | None]:
    """The cache folder the user named and how messages name it: --cache-dir, else $SRGAN_CACHE,
    which names a folder as the flag does and is checked the same way (export_files.check_cache_dir:
    a file there was two engines' fallback warnings and the slow engine, exit 0); (None, None) for
    the default cache, which is only tried."""
    import os

    from .export_files import default_cache_dir

    if cache_dir is None and os.environ.get("SRGAN_CACHE"):
        return str(default_cache_dir()), f"SRGAN_CACHE={os.environ['SRGAN_CACHE']}"
    return cache_dir, None


def upscale_without_paddle(args) -> bool:
    """Whether `srgan upscale` with these flags can start without importing Paddle: OpenVINO's
    own runtime and the weights' export cached (infer.paddle_free_export)."""
    from .export_files import META_FILE
    from .infer import paddle_free_export

    export = paddle_free_export(weights=args.weights, engine=args.engine, device=args.device, cache_dir=args.cache_dir,
                                perception=args.perception, tensorrt=args.tensorrt)
    return export is not None and (export / META_FILE).is_file()


def _runtime_note(upscaler) -> str:
    """How the engine line names OpenVINO's own runtime and whether Paddle was needed."""
    from .export_files import META_FILE

    if upscaler.without_paddle:
        return f" ({upscaler.predictor.description}, Paddle not loaded)"
    export = upscaler.paddle_free_export
    # cached now: OpenVINO's runtime from the next run; not where the export failed and dygraph
    # runs (a read-only cache holding a damaged export: hostile test s21)
    if export is not None and (export / META_FILE).is_file() and upscaler.engine != "dygraph":
        return " (Paddle loaded to export the model, the next runs start without it)"
    return ""


def add_export_parser(sub):
    p = sub.add_parser("export", help="export the generator for Paddle Inference (paddle.jit.save, dynamic H/W)",
                       description="Write the generator as a static graph (generator.pdmodel or .json, generator.pdiparams, "
                       "srgan_export.json with SHA-256 sums) that Paddle Inference, OpenVINO or `srgan upscale --weights FOLDER` "
                       "run without this package's Python code; any input size.")
    p.add_argument("--weights", type=path_arg, default=None, metavar="FILE|NAME",
                   help="generator .safetensors, or a shipped model: srresnet (the default) or srgan")
    p.add_argument("--out", required=True, type=path_arg, metavar="DIR",
                   help="output folder: new or empty, or an earlier export with --overwrite (only its export files "
                   "are replaced); any other folder with files in it is refused")
    p.add_argument("--overwrite", action="store_true", help="replace the files of an earlier export in --out")
    p.add_argument("--openvino", action="store_true", help="export a graph that Paddle's OpenVINO engine can convert (old IR)")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    from .checkpoint import load_generator
    from .export import EXPORT_FILES, check_export_folder, export_generator
    from .predict import check_export, model_files
    from .infer import DEFAULT_WEIGHTS, resolve_weights

    weights = resolve_weights(args.weights) or DEFAULT_WEIGHTS
    # Refuse a folder that is not ours before the (slow) export; export_generator checks again.
    check_export_folder(args.out, overwrite=args.overwrite)
    generator = load_generator(weights)  # missing, corrupt, not a generator: a user error (main)
    out = export_generator(generator, args.out, openvino=args.openvino, source=str(weights), overwrite=args.overwrite)
    for f in sorted(out.iterdir()):
        if f.name in EXPORT_FILES:
            print(f)
    diff = check_export(generator, out, openvino=args.openvino)
    print(f"{model_files(out)[0].name}: Paddle Inference vs dygraph on a 24x20 input: max |diff| = {diff:.2e}", file=sys.stderr)
    return EXIT_OK if diff <= 1e-4 else EXIT_SOME_FAILED


# --- srgan release ---------------------------------------------------------------------
def add_release_parser(sub):
    p = sub.add_parser("release", help="export a training run as safetensors + a measured model card")
    p.add_argument("run_dir", type=path_arg, help="the run folder (config.json, log.jsonl, ckpt_*.ckpt)")
    p.add_argument("--out", required=True, type=path_arg, help="destination .safetensors (card: .json, log: _log.jsonl beside it)")
    p.add_argument("--checkpoint", type=path_arg, help="one of the run's own checkpoints instead of the newest (its path, or its file name in RUN_DIR)")
    p.add_argument("--data", nargs="+", type=path_arg, help="benchmark folders to score (default: Set5, Set14 in the shared folder)")
    p.add_argument("--overwrite", action="store_true", help="replace existing weights, card and log at --out")
    p.add_argument("--notes", help="free text for the card")
    p.add_argument("--score-checkpoints", metavar="BENCHMARK_DIR", type=path_arg,
                   help="also score the initial generator and every kept checkpoint on this benchmark (PSNR, NIQE, grid)")
    p.set_defaults(func=cmd_release)


def cmd_release(args) -> int:
    from .release import format_card, release_run

    card = release_run(args.run_dir, args.out, benchmarks=args.data, checkpoint=args.checkpoint, notes=args.notes,
                       history_benchmark=args.score_checkpoints, overwrite=args.overwrite)
    print(format_card(card))
    return 0


def add_interpolate_parser(sub):
    p = sub.add_parser("interpolate", help="release a network interpolation of two generators (ESRGAN Sec. 3.4) with a measured card",
                       description="Writes (1 - alpha) x START + alpha x END as a generator .safetensors with a model card "
                       "(END's training record, the interpolation, Set5/Set14 scores measured here) and END's log beside it. "
                       "Both must share an architecture and, for a useful result, an initialisation (a GAN and the SRResNet "
                       "it was fine-tuned from).")
    p.add_argument("start", type=path_arg, help="generator at alpha = 0 (.safetensors or a shipped name: srresnet, srgan)")
    p.add_argument("end", type=path_arg, help="generator at alpha = 1 (.safetensors or a shipped name)")
    p.add_argument("--alpha", type=float, required=True, help="weight of END, in [0, 1]")
    p.add_argument("--out", required=True, type=path_arg, help="destination .safetensors (card: .json, log: _log.jsonl beside it)")
    p.add_argument("--data", nargs="+", type=path_arg, help="benchmark folders to score (default: Set5, Set14 in the shared folder)")
    p.add_argument("--notes", help="free text for the card")
    p.add_argument("--overwrite", action="store_true", help="replace existing weights, card and log at --out (never an input)")
    p.set_defaults(func=cmd_interpolate)


def cmd_interpolate(args) -> int:
    from .infer import resolve_weights
    from .release import format_card, release_interpolation

    card = release_interpolation(resolve_weights(args.start), resolve_weights(args.end), args.alpha, args.out,
                                 benchmarks=args.data, notes=args.notes, overwrite=args.overwrite)
    print(format_card(card))
    return 0


def add_compare_parser(sub):
    p = sub.add_parser(
        "compare",
        help="before/after sliders (HTML) of your photos or of a benchmark: bicubic | each model (| HR)",
        description="Your photos: srgan compare PHOTO... --html report.html upscales each photo (files and/or folders; "
        "the centre --window px of larger ones) by bicubic interpolation and each model and writes one page of "
        "before/after sliders with NIQE (no PSNR/SSIM: there is no original to compare with). A benchmark: "
        "--data DIR (HR/ + LR_bicubic_x4/) adds HR and the PSNR/SSIM against it, and --out a PNG of "
        "side-by-side crops. The page is self-contained (images inline, no network).",
    )
    p.add_argument("photos", nargs="*", type=path_arg, metavar="PHOTO",
                   help="image files and/or folders of images to upscale and compare (instead of --data)")
    p.add_argument("--weights", nargs="+", default=None, metavar="LABEL=FILE",
                   help="the models, in menu order: LABEL=FILE items (a .safetensors file or a shipped model's name), "
                   "or bare shipped names, e.g. SRResNet=srresnet SRGAN=weights/srgan_x4.safetensors "
                   "(default: SRResNet=srresnet SRGAN=srgan, the shipped models)")
    p.add_argument("--data", type=path_arg, help="benchmark folder (HR/ + LR_bicubic_x<scale>/, the scale of the weights), "
                   "or 'selection' (the 25 BSDS200 photos held out of training; write ./selection for a folder of "
                   "that name), instead of photos")
    p.add_argument("--images", nargs="*", help="--data: file names to show (default: all)")
    p.add_argument("--out", type=path_arg, help="--data: destination PNG of side-by-side crops (they need HR)")
    p.add_argument("--html", type=path_arg, help="destination HTML page: a before/after slider per image (bicubic vs the last "
                   "model at first; menus for bicubic / each model (/ HR) and the zoom) with NIQE (and PSNR / SSIM "
                   "against HR with --data); self-contained (images inline, no network)")
    p.add_argument("--window", type=int, default=None, metavar="PX",
                   help="photos: show the centre PX x PX pixels of larger photos, x4 on the page (default 256: one "
                   "screen at 1:1, seconds per model on a CPU); 0 = whole photos")
    p.add_argument("--zoom", type=positive_int, help="--html: initial zoom, 1:1 or larger (default: up to 4:1 within 1024x768 px)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out / --html (never an input)")
    p.add_argument("--no-progress", action="store_true", help="photos: no progress bar (also when stderr is not a terminal)")
    p.set_defaults(func=cmd_compare)


def compare_weights(items: list[str] | None) -> dict[str, str]:
    """`--weights` items as label -> file or shipped name: LABEL=FILE, or a bare shipped name
    (srresnet, srgan) labelled by itself; None = the shipped models (report.DEFAULT_MODELS).

    Raises:
        ValueError: an item that is neither, or a label given twice.
    """
    from .infer import SHIPPED_MODELS
    from .report import DEFAULT_MODELS

    if items is None:
        return dict(DEFAULT_MODELS)
    pairs = [item.split("=", 1) if "=" in item or item not in SHIPPED_MODELS else [item, item] for item in items]
    bad = [w for w, p in zip(items, pairs) if len(p) != 2 or not p[0].strip() or not p[1].strip()]
    if bad:
        raise ValueError(f"--weights takes LABEL=FILE items or a shipped model's name ({', '.join(SHIPPED_MODELS)}), "
                         f"got {bad[0]!r}")
    labels = [label for label, _ in pairs]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise ValueError(f"--weights: the label {twice[0]!r} is given twice; each column needs its own label")
    return dict(pairs)


def cmd_compare(args) -> int:
    from .infer import resolve_weights
    from .outputs import check_output_file, same_file

    from pathlib import Path

    from .image_io import IMAGE_EXTENSIONS

    cache_dir, named = _named_cache(None)  # the photo page reads the same cache as upscale
    if cache_dir is not None:
        from .export_files import check_cache_dir

        check_cache_dir(cache_dir, needs_writing=False, named=named)

    # A typo (page.htlm, crops.pgn) or a swap (--html crops.png) wrote a file viewers refuse
    if args.html and Path(args.html).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--html {args.html}: the page's name must end in .html (or .htm)")
    if args.out and Path(args.out).suffix.lower() not in IMAGE_EXTENSIONS:
        raise ValueError(f"--out {args.out}: not an image extension ({', '.join(IMAGE_EXTENSIONS)})")
    if args.photos and args.data:
        raise ValueError("compare: give photos or --data BENCHMARK, not both")
    if not args.photos and not args.data:
        raise ValueError("compare: give photos (files or folders) with --html, or --data BENCHMARK with --html and/or --out")
    if args.photos:
        return _compare_photos(args)
    if not args.out and not args.html:
        raise ValueError("compare: give --out (PNG of crops), --html (slider page) or both")
    if args.out and args.html and same_file(args.out, args.html):
        raise ValueError(f"{args.html}: --out and --html are the same file")
    weights = {label: resolve_weights(path) for label, path in compare_weights(args.weights).items()}
    # Both outputs are checked before either is made: a refused --html must not follow a written --out.
    for out in (args.out, args.html):
        if out:
            check_output_file(out, overwrite=args.overwrite, inputs=list(weights.values()))
    if args.out:
        from .release import comparison_image

        print(comparison_image(weights, args.data, args.out, names=args.images, overwrite=args.overwrite))
    if args.html:
        from .report import compare_report

        print(compare_report(weights, args.data, args.html, names=args.images, zoom=args.zoom, overwrite=args.overwrite))
    return EXIT_OK


def _compare_photos(args) -> int:
    """`srgan compare PHOTO... --html page`: a bad photo is reported (one line) and the others
    are still shown; no photo shown = nothing written (exit 2)."""
    from .report import PHOTO_WINDOW, photo_report

    if args.out:
        raise ValueError("compare: --out (crops beside the original) needs --data with HR/ images; for photos use --html")
    if args.images:
        raise ValueError("compare: --images picks images of --data; for photos, name the files")
    if not args.html:
        raise ValueError("compare: give --html PAGE.html for the photos' slider page")
    window = PHOTO_WINDOW if args.window is None else args.window
    report = photo_report(args.photos, args.html, weights=compare_weights(args.weights), window=window, zoom=args.zoom,
                          overwrite=args.overwrite, progress=_progress(args))
    for _, message in report.failed:
        print(f"error: {message}", file=sys.stderr)
    if report.page is None:
        print(f"error: no photo could be shown; {args.html} not written", file=sys.stderr)
        return EXIT_USER_ERROR
    print(report.page)
    print(f"{len(report.shown)} photo(s) in the page, {len(report.failed)} failed", file=sys.stderr)
    return EXIT_SOME_FAILED if report.failed else EXIT_OK


def _progress(args) -> bool:
    """Progress bars unless --no-progress, and only on a terminal: redirected to a log, each
    bar's updates were carriage-return lines filling it."""
    return not args.no_progress and sys.stderr.isatty()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srgan", description="SRGAN / SRResNet x4 super-resolution in PaddlePaddle")
    parser.add_argument("--version", action="version", version=f"srgan-paddle {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (add_info_parser, add_evaluate_parser, add_train_parser, add_upscale_parser, add_export_parser, add_release_parser,
                add_interpolate_parser, add_compare_parser):
        add(sub)
    for command in sub.choices.values():
        command.add_argument("--debug", action="store_true", help="show the Python traceback of an error (also SRGAN_DEBUG=1)")
        command.epilog = EPILOG
    parser.epilog = EPILOG
    return parser


# Errors that a user can fix (a missing or corrupt file, a bad value, a busy run folder): one
# line "error: <file>: <problem>" and exit code 2, as `srgan upscale` does for its setup.
# Anything else is a bug and keeps its traceback.
USER_ERRORS = (OSError, ValueError, RuntimeError)


class _StdoutThatMayClose:
    """sys.stdout for a command whose reader may go away (`srgan upscale dir -o out | head -1`, a
    log viewer that quits): once the pipe is closed, what is printed to it is dropped, and the
    command goes on with its work, its messages on stderr and its true exit status (a
    BrokenPipeError ended it with "error: [Errno 32] Broken pipe", status 2, after the work)."""

    def __init__(self, stream):
        self._stream, self.closed_by_reader = stream, False

    def _dropped(self):
        import os

        self.closed_by_reader = True
        try:  # the interpreter's final flush of the real stdout must not fail either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
            pass

    def write(self, text):
        if self.closed_by_reader:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._dropped()
            return len(text)

    def flush(self):
        if not self.closed_by_reader:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._dropped()

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    stdout = sys.stdout
    sys.stdout = _StdoutThatMayClose(stdout)
    try:
        return _main(argv)
    finally:
        if sys.stdout.__class__ is _StdoutThatMayClose:
            sys.stdout.flush()
        sys.stdout = stdout


def _main(argv: list[str] | None = None) -> int:
    import os
    import warnings

    args = build_parser().parse_args(argv)
    # A file name that is not UTF-8 (os.fsdecode's surrogates) is printed as its own bytes, as
    # ls does; a strict stdout (a UTF-8 desktop locale) would stop the command after its work.
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="surrogateescape")
    debug = args.debug or os.environ.get("SRGAN_DEBUG", "") not in ("", "0")
    args.debug = debug  # the commands that report errors themselves (upscale) read it too
    if not debug:  # Paddle's C++ info and warning log lines ("New Executor is Running"): errors only
        os.environ.setdefault("GLOG_minloglevel", "2")
    with warnings.catch_warnings():
        if not debug:  # one line per warning ("warning: <file>: ..."), no source echo
            warnings.showwarning = lambda message, *rest, **kw: print(f"warning: {message}", file=sys.stderr)
            # Paddle's BatchNorm says this on every training run; it concerns Paddle's own API change
            warnings.filterwarnings("ignore", message="When training, we now always track global mean and variance")
        try:
            # SIGTERM (`kill`, a scheduler) ends every command like Ctrl-C: temp files removed,
            # exit status 130. Paddle installs its own SIGTERM handler (a C++ stack dump, status
            # 143) when imported, so it is imported first and the handler replaced after it;
            # training and upscale refine this with their own (srgan.interrupt). `srgan upscale`
            # that runs a cached export on OpenVINO's own runtime never imports Paddle (if that
            # export then fails to load, Paddle is imported later, and until the upscale's own
            # handler is set SIGTERM gets Paddle's).
            from .interrupt import StopOnSigterm, deferred_interrupts, hold_sigterm, release_sigterm, sigterms_received

            signals_before = sigterms_received()
            held = hold_sigterm()  # a SIGTERM during Paddle's import waits for our handler (130, not 143)
            try:
                without_paddle = getattr(args, "without_paddle", None)
                try:
                    # A Ctrl-C inside an import (Paddle's, or numpy's while the command decides whether it
                    # needs Paddle) became "ImportError: initialization failed", a traceback and status 1:
                    # held back until the imports are done, then raised.
                    with deferred_interrupts(sigterm=False):  # SIGTERM is held by hold_sigterm
                        if without_paddle is None or not without_paddle(args):
                            import paddle  # noqa: F401
                except ModuleNotFoundError as e:  # not a dependency: CPU or GPU build is the user's choice
                    if e.name != "paddle" or debug:
                        raise
                    print("error: PaddlePaddle is not installed: pip install paddlepaddle (CPU; or pip install "
                          "\"srgan-paddle[cpu]\"), or the paddlepaddle-gpu build for your CUDA "
                          "(https://www.paddlepaddle.org.cn/install)", file=sys.stderr)
                    return EXIT_USER_ERROR
                with StopOnSigterm():
                    release_sigterm(held)
                    held = False
                    return int(args.func(args) or 0)
            finally:
                release_sigterm(held)
                if sigterms_received() > signals_before:
                    # stopping on a SIGTERM: a repeat (the launcher sends three) while Python and
                    # Paddle shut down would kill the process and make its status 143, not 130
                    import signal

                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
        except KeyboardInterrupt as e:
            if debug:
                raise
            print(f"interrupted: {e}" if str(e) else "interrupted", file=sys.stderr)  # what was completed, if said
            return EXIT_INTERRUPTED
        except MemoryError as e:  # Paddle's ResourceExhausted too: one line, not a traceback
            if debug:
                raise
            detail = first_line(e, "", limit=200)
            print(f"error: not enough memory for this ({detail}); details: --debug", file=sys.stderr)
            return EXIT_USER_ERROR
        except USER_ERRORS as e:
            if debug:
                raise
            lines = str(e).strip().splitlines() or [type(e).__name__]
            print(f"error: {lines[0]}{' (details: --debug)' if len(lines) > 1 else ''}", file=sys.stderr)
            return getattr(e, "exit_status", EXIT_USER_ERROR)  # train.TrainingDiverged: EXIT_DIVERGED


def console() -> None:
    """The `srgan` command (and `python -m srgan`): main(), then exit with its status.

    A SIGTERM or Ctrl-C that comes once the command's work is done, in the fraction of a second in
    which Python and Paddle shut down, is ignored: it would otherwise end a finished, successful command
    with status 143 (Paddle's handler), as if it had been killed in its work (hostile test s20, N7).
    """
    import signal

    status = main()
    # Ctrl-C too: pressed as the command finishes, it killed the process by the signal during shutdown,
    # after "1 written" or a whole table (hostile test s22)
    for name in ("SIGTERM", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    sys.exit(status)


if __name__ == "__main__":
    console()
