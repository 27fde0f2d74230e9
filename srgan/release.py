"""Turn a training run into weights for others: `<name>.safetensors` + `<name>.json` model card
+ `<name>_log.jsonl` (the learning curve), with every number in the card measured here.

    srgan release runs/srresnet_x4 --out weights/srresnet_x4.safetensors

The card records the data, steps, batch, schedule, wall time, machine, Paddle version, the
Set5/Set14 scores by the paper's protocol (Sec. 3.1) next to bicubic's, and every way the
run departs from the paper's recipe, derived from the saved config rather than written by hand.
A run that continued earlier released weights (`--init-generator`, same phase) is reported with
the training behind them: the card's `segments`, steps, hours, curve and log cover the chain.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np

from . import checkpoint as ckpt
from . import runs
from .atomic import path_error, write_json, write_together
from .config import PAPER_TRAINING_DATA, Config, TrainConfig, default_shared_dir, paper
from .data import SELECTION_IDS
from .evaluate import bicubic_upscaler, check_dataset_names, default_benchmark_dirs, evaluate_benchmark, generator_upscaler, load_comparison
from .i18n import translate_markdown
from .image_io import save_image
from .imresize import imresize
from .metrics import VALIDATION_METRICS
from .outputs import OutputError, check_output_file, check_output_files, output_path, same_file
from .runs import read_log  # noqa: F401  its earlier home: `srgan.release.read_log` keeps working
from .viz import detailed_window


def lineage_departures(segments: list[dict], cfg: Config, total_steps: int) -> list[str]:
    """The departures of a run that continued earlier ones (runs.lineage's segments, the last
    one's config `cfg`), each scoped to the steps it held for.

    A departure every segment shares is listed plainly; one of the last segment's that earlier
    segments did not have reads "steps a-b: ..." for each stretch of segments that had it (a
    spectrally normalised D from step 7,900 on must not read as the whole lineage's), and an
    earlier segment's that the last one dropped gets its own "steps a-b: ..." line."""
    per_segment = [departures_from_paper(Config.from_dict(seg["config"])) for seg in segments[:-1]]
    last = departures_from_paper(cfg)
    per_segment.append(last)
    spans = [(seg["from_step"], seg["from_step"] + seg["steps"]) for seg in segments]

    def scoped(departure: str, held: list[bool]) -> list[str]:
        # contiguous runs of segments that held it, except for what happens at a segment's start
        # (a D warm-up): "steps 0-5,280: the first 100 steps ..." would hide that it happened twice
        per_start = departure.startswith("the first ")
        stretches = []
        for (lo, hi), holds in zip(spans, held):
            if holds and stretches and stretches[-1][1] == lo and not per_start:
                stretches[-1][1] = hi
            elif holds:
                stretches.append([lo, hi])
        return [f"steps {lo:,}-{hi:,}: {departure}" for lo, hi in stretches]

    out = []
    for departure in departures_from_paper(cfg, steps=total_steps):
        held = [departure in seg for seg in per_segment]
        # the step count is the whole lineage's (not any one segment's departure)
        out += [departure] if departure not in last or all(held) else scoped(departure, held)
    for departure in dict.fromkeys(d for seg in per_segment[:-1] for d in seg if d not in last):
        out += scoped(departure, [departure in seg for seg in per_segment])
    return out


def departures_from_paper(cfg: Config, steps: int | None = None) -> list[str]:
    """Plain-language list of the ways `cfg` differs from the paper's recipe (Sec. 3.2).

    Every value is compared with `config.paper(phase)`, the paper's recipe for the run's phase
    (and config.PAPER_TRAINING_DATA, which no config field can name), so the paper's numbers
    are written down once.

    Args:
        cfg: the run's configuration.
        steps: updates actually made (compared with the paper's count); None leaves steps out.
    """
    ref = paper(cfg.train.phase)
    model, data, train = cfg.model, cfg.data, cfg.train
    gan = train.phase == "gan"
    out = []
    if model.global_skip != ref.model.global_skip:
        out.append("architecture: a global bicubic skip (SR = network output + bicubic upsampling of the input) "
                   "that is not in the paper; everything else is the paper's SRResNet")
    for name in ("num_blocks", "channels", "scale"):
        if getattr(model, name) != getattr(ref.model, name):
            out.append(f"architecture: {name} = {getattr(model, name)} (paper: {getattr(ref.model, name)})")
    if gan and getattr(model, "d_arch", "paper") != ref.model.d_arch:
        out.append("discriminator: a U-Net that judges every pixel (Real-ESRGAN's, spectrally normalised) instead "
                   "of the paper's one verdict per crop (Fig. 4)")
    elif gan and model.d_norm != ref.model.d_norm:
        out.append(f"discriminator: {model.d_norm} normalisation instead of BN (Miyato et al. 2018, as Real-ESRGAN; "
                   f"paper: {ref.model.d_norm} normalisation)")
    if data.hr_size != ref.data.hr_size:
        out.append(f"HR crops of {data.hr_size} px (paper: {ref.data.hr_size})")
    if data.batch_size != ref.data.batch_size:
        out.append(f"batch of {data.batch_size} (paper: {ref.data.batch_size})")
    if steps is not None and steps != ref.train.steps:
        out.append(f"{steps:,} steps (paper: {ref.train.steps:,})")
    if train.lr != ref.train.lr or train.cosine != ref.train.cosine or train.lr_milestones != ref.train.lr_milestones:
        schedule = f"cosine decay to {train.lr * train.lr_gamma:g}" if train.cosine else f"milestones {train.lr_milestones}"
        out.append(f"Adam lr {train.lr:g}, {schedule} (paper: {_schedule_as_in_paper(ref.train)})")
    if not gan and train.pixel_loss != ref.train.pixel_loss:
        out.append(f"pixel loss {train.pixel_loss} (paper: {ref.train.pixel_loss.upper()})")
    if gan and train.content_loss == "vgg-multi":
        out.append("content loss: Real-ESRGAN's perceptual loss, L1 between the features before the ReLU of "
                   "phi_1,2, phi_2,2, phi_3,4, phi_4,4 and phi_5,4 weighted 0.1, 0.1, 1, 1, 1, scaled to the strength of the "
                   "paper's loss (paper: MSE of phi_5,4)")
    elif gan and train.content_loss != ref.train.content_loss:
        out.append(f"content loss {train.content_loss} (paper's SRGAN: {ref.train.content_loss}; paper Table 1 variant SRGAN-"
                   f"{train.content_loss.upper()})")
    if gan and train.gan_loss != ref.train.gan_loss:
        out.append(f"{train.gan_loss} GAN loss (ESRGAN's relativistic average GAN, Sec. 3.2; paper: the standard GAN, Eq. 2)")
    if gan and train.adv_weight != ref.train.adv_weight:
        out.append(f"adversarial weight {train.adv_weight:g} (paper: {_as_in_paper(ref.train.adv_weight)})")
    if (gan and train.vgg_before_activation != ref.train.vgg_before_activation
            and train.content_loss not in ("mse", "vgg-multi")):  # vgg-multi is before the ReLU by definition
        out.append(f"the VGG content loss compares the features before the ReLU of phi_{train.content_loss[3]},"
                   f"{train.content_loss[4]} (ESRGAN Sec. 3.3; paper: after it)")
    if gan and train.gan_pixel_weight != ref.train.gan_pixel_weight:
        out.append(f"content loss + {train.gan_pixel_weight:g} x pixel {train.pixel_loss} (paper: {train.content_loss} alone)")
    extra_terms = (  # phase 2's generator terms the paper does not have: (field, what "+ weight x" adds)
        ("lattice_weight", f"lattice penalty: SR's period-{model.scale} lattice energy beyond HR's, per 32 px window "
                           "(against the pixel-shuffle grid"),
        ("lowfreq_weight", f"low-frequency loss: pixel MSE of SR and HR averaged over {model.scale}x{model.scale} blocks "
                           "(against phase 2's colour drift"),
        ("chroma_weight", "chroma loss: pixel MSE of SR's and HR's Cb and Cr (against invented colour, speckle and cast; "
                          "luma, where the texture is, stays free"),
        ("lr_consistency_weight", f"LR-consistency loss: MSE of SR's MATLAB-bicubic x{model.scale} downscale and the LR "
                                  "input (pins what the input fixes"),
        ("artifact_weight", "artifact loss: L1 of SR and HR where SR's residual varies from pixel to pixel and G is worse "
                            "than its running average (LDL, Liang et al. 2022"),
        ("texture_weight", "texture loss: L1 of SR's and HR's structure tensors of the luma detail band (which way fine "
                           "texture runs and how much"),
        ("texture_direction_weight", "texture-direction loss: L1 of SR's and HR's detail orientation vectors, weighted by "
                                     "HR's detail energy (which way fine texture runs"),
    )
    for field, what in extra_terms:
        if gan and getattr(train, field) != getattr(ref.train, field):
            out.append(f"+ {getattr(train, field):g} x {what}; paper: no such term)")
    if train.ema_decay != ref.train.ema_decay:
        out.append(f"the released weights are an exponential moving average of G's (decay {train.ema_decay:g}, about "
                   f"{1 / (1 - train.ema_decay):,.0f} steps; as ESRGAN's code; paper: the last weights)")
    if gan and train.d_warmup_steps != ref.train.d_warmup_steps:
        out.append(f"the first {train.d_warmup_steps} steps train a new discriminator alone against the fixed "
                   f"generator (it continues released weights whose discriminator was not kept; paper: D and G from the start)")
    if gan and train.d_renew_every != ref.train.d_renew_every:
        out.append(f"every {train.d_renew_every:,} steps the discriminator is replaced by a new one, which trains alone for "
                   f"{train.d_warmup_steps} steps (a long-trained D lets colour speckle creep back; paper: one D throughout)")
    names = ", ".join(Path(d).name for d in data.train_dirs) or "scikit-image photos"
    # srgan.data.load_training_images leaves the selection set's photos out of any BSDS* folder
    held_out = any(Path(d).name.upper().startswith("BSDS") for d in data.train_dirs)
    out.append(f"training data: {names}" + (f" less the selection set's {len(SELECTION_IDS)} photos" if held_out else "")
               + f" (paper: {PAPER_TRAINING_DATA})")
    return out


def _as_in_paper(value: float) -> str:
    """A power of ten as the paper writes it: 1e-4, 1e5."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _schedule_as_in_paper(train: TrainConfig) -> str:
    """The paper's learning-rate schedule in words: "1e-4 constant", "1e-4, x0.1 after 1e5 steps"."""
    if not train.lr_milestones:
        return f"{_as_in_paper(train.lr)} constant"
    after = ", ".join(_as_in_paper(step) for step in train.lr_milestones)
    return f"{_as_in_paper(train.lr)}, x{train.lr_gamma:g} after {after} steps"


def score_checkpoints(run_dir: Path, benchmark: str | Path, offset: int = 0, upto: int | None = None) -> dict:
    """Score the run's initial generator and every checkpoint it kept on one benchmark folder:
    how PSNR, NIQE and the grid contrast moved over the run (phase 2 has no best-by-PSNR).
    Each generator is scored as the released one is (release_run): evaluate_benchmark over
    evaluate.generator_upscaler.

    Returns:
        {"benchmark": folder name, "start": mean scores of what the run started from (the other
         run's checkpoint it continued, else cfg.train.init_generator, else None),
         "scores": [{"step", and every score of metrics.METRIC_NAMES}, ...]} with steps counted
        from the first segment (`offset`), checkpoints after `upto` left out.
    """
    def scores(generator) -> dict:
        return evaluate_benchmark(generator_upscaler(generator), benchmark, scale=int(generator.scale))["mean"]

    out = {"benchmark": Path(benchmark).resolve().name, "start": None, "scores": []}
    init = runs.read_info(run_dir).get("config", {}).get("train", {}).get("init_generator")
    card = runs.read_init_card(run_dir)
    if card.get("continued_checkpoint") and Path(card["continued_checkpoint"]).is_file():  # it started there
        source = card["continued_checkpoint"]
        out["start"] = scores(ckpt.generator_from_checkpoint(ckpt.load_checkpoint(source), source))
    elif init and Path(init).is_file() and str(init).endswith(".safetensors"):
        out["start"] = scores(ckpt.load_generator(init))
    for path in runs.checkpoints(run_dir):
        state = ckpt.load_checkpoint(path)
        if upto is not None and int(state["step"]) > upto:
            continue
        generator = ckpt.generator_from_checkpoint(state, str(path))
        out["scores"].append({"step": offset + int(state["step"]), **scores(generator)})
    return out


def release_run(run_dir: str | Path, out: str | Path, benchmarks: list[str | Path] | None = None, checkpoint: str | Path | None = None,
            notes: str | None = None, history_benchmark: str | Path | None = None, overwrite: bool = False) -> dict:
    """Export the run's newest (or the given) checkpoint as safetensors with a measured model card.

    Args:
        run_dir: the run folder (config.json, log.jsonl, ckpt_*.ckpt).
        out: destination `.safetensors`; the card goes to `.json` and the log to `_log.jsonl` beside it.
        benchmarks: benchmark folders to score (default: Set5 and Set14 in the shared folder).
        checkpoint: one of the run's own checkpoints instead of the newest one, by its path or its
            bare file name in `run_dir` (another folder's checkpoint is refused: the card would mix
            two runs; release that folder).
        notes: free text for the card (e.g. what content loss could be used and why).
        history_benchmark: also score the initial generator and every kept checkpoint on this
            benchmark folder (the card's `checkpoint_scores`, see score_checkpoints).
        overwrite: replace existing weights, card and log at `out` (srgan.outputs; checked
            before any work, and never one of the run's checkpoints).

    Returns:
        the model card.

    Raises:
        outputs.OutputError: an output exists (without `overwrite`) or is an input.
        FileNotFoundError: no run folder, no checkpoint, or no benchmark to score.
    """

    run_dir, out = Path(run_dir), output_path(out, "--out")
    if not run_dir.is_dir():
        raise path_error(run_dir, "run folder")
    path = Path(checkpoint) if checkpoint else (runs.checkpoints(run_dir) or [None])[-1]
    # A bare file name as `ls RUN` shows it ("ckpt_00000004.ckpt") is the run's own checkpoint when no
    # file of that name is here: it was "ckpt_00000004.ckpt: no such checkpoint" beside RUN/ckpt_00000004.ckpt.
    if checkpoint and len(path.parts) == 1 and not (path.exists() or path.is_symlink()) and (run_dir / path).exists():
        path = run_dir / path
    if path is None:
        raise FileNotFoundError(f"{run_dir}: no ckpt_*.ckpt checkpoints to release")
    if checkpoint and path.exists() and not same_file(path.resolve().parent, run_dir):
        own = run_dir / path.name  # a bare name that a file here has too: the user may have meant the run's
        hint = f"give {own} for the run's own" if own.is_file() else f"release {path.parent} instead"
        raise ValueError(f"{path}: not a checkpoint of {run_dir}; the card would mix two runs' logs and configs ({hint})")
    if out.suffix != ".safetensors":  # its card and log are named from the stem: "a.v2" would write "a.json"
        raise ValueError(f"--out {out}: the weights file name must end in .safetensors")
    # The run's own files are inputs: never replaced, e.g. by --out RUN/config.safetensors (card RUN/config.json).
    outputs, inputs = [out, *ckpt.card_and_log_paths(out)], runs.run_files(run_dir) + [path]
    check_output_files(outputs, overwrite=overwrite, inputs=inputs)
    check_not_run_layout(outputs, run_dir)  # also the layout's names not there yet (RUN/init_card.json)
    benchmarks = _benchmarks_to_score(benchmarks)  # before any work, not after the first folder's scores
    state = ckpt.load_checkpoint(path)
    cfg = Config.from_dict(state["config"])
    info = runs.read_info(run_dir)  # config.json: the run's settings, machine, Paddle (the card's too)
    own = Config.from_dict(info["config"]) if isinstance(info.get("config"), dict) else None  # fields added since filled in
    if own is not None and (own.train.phase != cfg.train.phase or own.model != cfg.model):
        # a checkpoint copied in from another run: its card would carry this run's log and lineage (hostile s24 #8)
        raise ValueError(f"{path}: its settings (phase {cfg.train.phase}, its networks) are not {run_dir}'s (config.json); "
                         "a checkpoint of another run: release the folder it came from")
    generator = ckpt.generator_from_checkpoint(state, str(path))
    generator.eval()

    scores = _score_generator(generator, benchmarks, cfg.model.scale)

    # A run that continued earlier released weights or another run's checkpoint reports the whole
    # chain (runs.lineage): steps, hours, learning curve and log counted from the first segment.
    steps = int(state["step"])  # the run's own counter (an earlier checkpoint: its log only)
    segments, records = runs.lineage(run_dir, cfg.train.phase, upto=steps, config=cfg.to_dict())
    total_steps = segments[-1]["from_step"] + segments[-1]["steps"]
    offset = total_steps - steps
    departures = lineage_departures(segments, cfg, total_steps)
    # Weights that continued a network interpolation (srgan interpolate): the steps before this run are
    # the END's training, the weights it started from a blend; said, and carried to later releases.
    mix = runs.start_interpolation(runs.read_init_card(run_dir))
    if mix:
        end_step = (mix.get("end") or {}).get("step")  # where the blend was made, counted as the END's lineage
        before = (f"; the steps before step {end_step:,} are those of {mix['end'].get('file')}'s training"
                  if isinstance(end_step, int) and end_step > 0 and len(segments) > 1 else "")
        departures.insert(0, f"the training continued a network interpolation, not a trained generator: "
                             f"{_interpolation_words(mix)} (ESRGAN Sec. 3.4){before}")
    card = {
        "name": out.stem,
        "phase": cfg.train.phase,
        "paper": "Ledig et al., Photo-Realistic Single Image Super-Resolution Using a GAN, CVPR 2017 (arXiv 1609.04802)",
        "step": total_steps,
        "batch_size": cfg.data.batch_size,
        "hr_crop": cfg.data.hr_size,
        "training_data": cfg.data.train_dirs,
        "training_hours": round(sum(seg["training_hours"] for seg in segments), 3),
        "machine": info.get("machine"),
        "device": info.get("device"),
        "paddle": info.get("paddle"),
        "vgg": info.get("vgg"),  # the VGG19 of the content loss (None: phase 1, MSE, or a run older than the record)
        "departures_from_paper": departures,
        "evaluation_protocol": "Y channel (BT.601; grayscale used as Y), 4-pixel border removed, mean of per-image "
                               "values; SSIM (Daala) is the variant the paper used, SSIM (MATLAB) the usual one; NIQE "
                               "(Mittal et al. 2013, MATLAB release's procedure, lower = more natural; niqe_hr = the HR "
                               "photos' own score) and the grid measures of srgan.metrics on the same border-cropped images",
        "scores": scores,
        "learning_curve": [{key: r[key] for key in ("step", *VALIDATION_METRICS) if key in r}
                           for r in records if r["kind"] == "val"],
        "notes": notes,
        "checkpoint_scores": score_checkpoints(run_dir, history_benchmark, offset, upto=steps) if history_benchmark else None,
        "segments": segments,
        "config": cfg.to_dict(),
    }
    if mix:
        card["started_from_interpolation"] = mix
    check_output_files(outputs, overwrite=overwrite, inputs=inputs)  # again: one may have appeared while scoring
    log = "".join(json.dumps(r) + "\n" for r in records).encode() if records else None
    write_release(generator, out, card, log, overwrite=overwrite)
    return card


def check_not_run_layout(outputs: list[Path], run_dir: str | Path | None = None) -> None:
    """Refuse an output (weights, card or log) that would take a name of a run folder's layout
    (runs.CONFIG, LOG, BEST, BEST_CARD, INIT_CARD, INIT_LOG, ckpt_<step>.ckpt) inside a run
    folder (`run_dir`, or any folder holding a run's files), whether or not that file exists
    yet: the run would read it as its own (`--out RUN/init_card.safetensors` writes a card
    RUN/init_card.json that later releases take for the weights the run started from), and
    `train --overwrite` would delete it."""
    reserved = {runs.CONFIG, runs.LOG, runs.BEST, runs.BEST_CARD, runs.INIT_CARD, runs.INIT_LOG}
    for path in outputs:
        if path.name not in reserved and not runs._CHECKPOINT.fullmatch(path.name):
            continue
        folder = path.parent
        if (run_dir is not None and same_file(folder, run_dir)) or runs.run_files(folder) or (folder / runs.LOCK).exists():
            raise OutputError(f"{path}: {path.name} is a file of the run folder {folder}, which would take it for its own; "
                              "choose another --out name or folder")


def write_release(generator, out: Path, card: dict, log: bytes | None, *, overwrite: bool) -> None:
    """Write a release's weights `out`, card (`<stem>.json`, with the weights' architecture) and
    log (`<stem>_log.jsonl`; None: no log, and an earlier release's is removed, since it would
    pass for this one's) as one set (atomic.write_together): a full disk or an interruption
    leaves the earlier set, never new weights under an old card. overwrite=False: nothing that
    appeared at those names meanwhile is replaced."""
    card_file, log_file = ckpt.card_and_log_paths(out)
    stale_log = log is None and (log_file.exists() or log_file.is_symlink())
    write_together([
        (out, lambda tmp: ckpt.save_generator(generator, tmp)),
        (log_file, None if log is None else lambda tmp: Path(tmp).write_bytes(log)),
        (card_file, lambda tmp: write_json(tmp, ckpt.card_document(generator, card))),  # last: it vouches for the others
    ], replace=overwrite)
    if stale_log:  # --overwrite removed a file the user may not have expected to lose: say so
        warnings.warn(f"removed {log_file}: the file at these weights' log name (they have no log, and it would pass "
                      "for theirs)", stacklevel=2)


def _benchmarks_to_score(benchmarks: list[str | Path] | None) -> list[str | Path]:
    """The folders a release is scored on: those given, or Set5 and Set14 in the shared folder; refused
    (named) when there are none or two share a name, before any work."""
    if benchmarks is None:
        benchmarks = default_benchmark_dirs()
        if not benchmarks:
            raise FileNotFoundError(f"{default_shared_dir() / 'benchmarks'}: no Set5 or Set14 to score the release on; "
                                    "pass --data BENCHMARK_DIR (HR/ + LR_bicubic_x<scale>/) or set SRGAN_SHARED")
    check_dataset_names(benchmarks)
    return benchmarks


def _score_generator(generator, benchmarks: list[str | Path], scale: int) -> dict:
    """The card's `scores`: the model and bicubic on each benchmark folder, by the paper's protocol."""
    scores = {}
    for folder in benchmarks:  # at the generator's own scale: LR_bicubic_x<scale>/
        model = evaluate_benchmark(generator_upscaler(generator), folder, scale=scale)
        bicubic = evaluate_benchmark(bicubic_upscaler(scale), folder, scale=scale)
        scores[model["dataset"]] = {"model": model["mean"], "bicubic": bicubic["mean"], "images": model["images"]}
    return scores


def release_interpolation(start: str | Path, end: str | Path, alpha: float, out: str | Path,
                          benchmarks: list[str | Path] | None = None, notes: str | None = None,
                          overwrite: bool = False) -> dict:
    """Release the network interpolation (1 - alpha) * start + alpha * end of two released generators
    (ESRGAN, Wang et al. 2018, Sec. 3.4) as weights + a measured model card + the end's log.

    A GAN fine-tuned from an SRResNet and that SRResNet lie close in weight space, and the
    straight line between them trades PSNR for texture more gently than the GAN's own training
    path does: the interpolation can beat a checkpoint of the run on distortion and realism at once.

    Args:
        start: generator at alpha = 0 (the distortion end, e.g. weights/srresnet_x4.safetensors).
        end: generator at alpha = 1 (the GAN); its card (data, steps, segments, config,
            learning curve) and log describe the training behind the release.
        alpha: in [0, 1].
        out: destination `.safetensors`; card `.json` and log `_log.jsonl` beside it.
        benchmarks: folders to score (default: Set5 and Set14 in the shared folder).
        notes: free text for the card.
        overwrite: replace existing weights, card and log at `out` (never an input).

    Returns:
        the model card: the end's, with its own `name`, `scores`, `notes`, an `interpolation`
        record (both files' names, SHA-256 and steps, alpha) and the departure it adds. Without
        the end's card its `phase` is None (unknown), not guessed.

    Raises:
        outputs.OutputError: an output exists (without `overwrite`) or is an input.
        FileNotFoundError: a generator file or the benchmarks are missing.
        ValueError: alpha outside [0, 1], different architectures, or `out` not .safetensors.
    """
    start, end, out = Path(start), Path(end), output_path(out, "--out")
    for path in (start, end):
        if not path.is_file():
            raise path_error(path, "generator weights file")
    if out.suffix != ".safetensors":
        raise ValueError(f"--out {out}: the weights file name must end in .safetensors")
    outputs = [out, *ckpt.card_and_log_paths(out)]
    inputs = [start, end, *ckpt.card_and_log_paths(start), *ckpt.card_and_log_paths(end)]
    check_output_files(outputs, overwrite=overwrite, inputs=inputs)
    check_not_run_layout(outputs)
    benchmarks = _benchmarks_to_score(benchmarks)
    alpha = float(alpha) + 0.0  # -0.0 is 0: the card must not say "-0 x" of a file
    try:
        tensors, config = ckpt.interpolate_generators(start, end, alpha)
    except ValueError:
        # Its "different architectures (A vs B)" shows the two configs, which can be identical
        # when the tensors differ (an edited file): the first tensor that differs is named instead.
        if difference := _tensor_difference(start, end):
            raise ValueError(f"cannot interpolate {start} and {end}: {difference}") from None
        raise
    generator = ckpt.build_generator(config)
    ckpt.load_state_dict_checked(generator, tensors, f"{start.name} x {end.name}")
    generator.eval()

    def parent(path: Path) -> dict:
        card_file = ckpt.card_and_log_paths(path)[0]
        card = checked_card(card_file)
        return {"file": path.name, "sha256": ckpt.file_digest(path, "sha256"), "name": card.get("name"),
                "step": card.get("step"), "phase": card.get("phase"), "card": card}

    a, b = parent(start), parent(end)
    card = dict(b.pop("card"))  # the training behind the texture is the end's
    a.pop("card")
    card.update({
        "name": out.stem,
        "phase": card.get("phase"),  # None: the end has no card saying how it was trained
        "scores": _score_generator(generator, benchmarks, int(config.scale)),
        "notes": notes,
        "checkpoint_scores": None,
        "interpolation": {"alpha": float(alpha), "start": a, "end": b},
        "departures_from_paper": list(card.get("departures_from_paper") or []) + [
            f"network interpolation (ESRGAN Sec. 3.4): the weights are {1 - float(alpha):g} x {start.name} + "
            f"{float(alpha):g} x {end.name} (paper: the trained generator itself)"],
    })
    card.setdefault("step", 0)
    card.pop("model", None)  # write_release writes the architecture of the weights it saves
    try:  # what the command prints after writing: a card that cannot be shown fails before
        format_card(card)
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise ValueError(f"{ckpt.card_and_log_paths(end)[0]}: not a model card srgan can read ({e})") from None
    check_output_files(outputs, overwrite=overwrite, inputs=inputs)  # again: one may have appeared while scoring
    end_log = ckpt.card_and_log_paths(end)[1]
    write_release(generator, out, card, end_log.read_bytes() if end_log.is_file() else None, overwrite=overwrite)
    return card


def _tensor_difference(start: Path, end: Path) -> str | None:
    """The first tensor two generator files with the same architecture hold differently, as
    "tail.bias: (3, 3) vs (3,)" (or "in START only"), or None (the configs differ, or the tensors do not)."""
    a, config_a = ckpt.read_generator_file(start)
    b, config_b = ckpt.read_generator_file(end)
    if any(getattr(config_a, name) != getattr(config_b, name) for name in ckpt.Generator.CONFIG_FIELDS):
        return None  # the configs say how they differ
    for name in sorted(a.keys() | b.keys()):
        if name not in b or name not in a:
            return f"the tensor {name} is in {(start if name in a else end).name} only"
        if a[name].shape != b[name].shape:
            return f"{name}: {tuple(a[name].shape)} vs {tuple(b[name].shape)}"
    return None


# The fields of a model card that others read as numbers and lists: an edited card whose values
# are of another kind is refused, named, before anything is written (hostile s23: "step": "many"
# ended in "Cannot specify ',' with 's'." after the release was on disk).
_CARD_FIELDS = {"step": int, "training_hours": (int, float), "batch_size": int, "departures_from_paper": list,
                "segments": list, "scores": dict, "learning_curve": list}


def checked_card(card_file: Path) -> dict:
    """The model card at `card_file` ({} if there is none), refused with a ValueError naming it when it
    is not a JSON object or a field of `_CARD_FIELDS` holds another kind of value (None is allowed)."""
    if not card_file.is_file():
        return {}
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{card_file}: not a model card (not JSON: {e})") from None
    if not isinstance(card, dict):
        raise ValueError(f"{card_file}: not a model card (a JSON {type(card).__name__}, not an object)")
    for name, kind in _CARD_FIELDS.items():
        value = card.get(name)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ValueError(f"{card_file}: not a model card srgan can read: {name} is {value!r}")
    if any(not isinstance(d, str) for d in card.get("departures_from_paper") or []):
        raise ValueError(f"{card_file}: not a model card srgan can read: departures_from_paper holds a non-text entry")
    return card


def _interpolation_words(mix: dict) -> str:
    """"0.13 x srresnet_x4.safetensors + 0.87 x S_R2637_step1400.safetensors" from an interpolation record."""
    alpha = float(mix.get("alpha", 0.0))
    return f"{1 - alpha:g} x {mix.get('start', {}).get('file')} + {alpha:g} x {mix.get('end', {}).get('file')}"


def _first_step(departure: str) -> int:
    """The first step of a departure worded "steps 7,900-11,937: ...", -1 for one of the whole lineage."""
    match = re.match(r"steps ([\d,]+)-", departure)
    return int(match.group(1).replace(",", "")) if match else -1


def format_card(card: dict) -> str:
    """A short markdown summary of a model card (for the README and the CLI; in the Chinese
    edition's notebooks, srgan.i18n, its words are Chinese)."""
    # An interpolation of weights without a card (release_interpolation) knows less of its training.
    about = [card.get("phase") or "phase unknown", f"step {card.get('step') or 0:,}"]
    if card.get("batch_size"):  # a lineage's segments may differ (its departures say how): this is the last's
        last = " in the last segment" if len(card.get("segments") or ()) > 1 else ""
        about.append(f"batch {card['batch_size']} x {card.get('hr_crop')} px{last}")
    if card.get("training_hours") is not None:  # the machine is left out where unknown (a run without config.json): not "on None"
        about.append(f"{card['training_hours']:.2f} h" + (f" on {card['machine']}" if card.get("machine") else ""))
    if card.get("paddle"):
        about.append(f"paddle {card['paddle']}")
    lines = [f"**{card['name']}** ({', '.join(about)})", ""]
    if card.get("started_from_interpolation") and not card.get("interpolation"):
        lines += [f"Started from a network interpolation: {_interpolation_words(card['started_from_interpolation'])}; "
                  f"the training before this release's last segment is the second's.", ""]
    if card.get("interpolation"):
        lines += [f"Network interpolation: {_interpolation_words(card['interpolation'])}; the second is the trained "
                  f"generator this card describes (step {card['step']:,} counted over its whole lineage).", ""]
    lines += ["| set | PSNR [dB] | SSIM (Daala) | SSIM (MATLAB) | NIQE (HR's in parentheses) | grid contrast | bicubic PSNR / SSIM (Daala) / NIQE |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for name, scores in card["scores"].items():
        model, bicubic = scores["model"], scores["bicubic"]
        # "-": not measured (cards released before NIQE existed) or images too small for it.
        niqe = f"{model['niqe']:.2f} ({model['niqe_hr']:.2f})" if model.get("niqe") is not None else "-"
        grid = f"{model['grid_contrast']:.2f}" if model.get("grid_contrast") is not None else "-"
        bicubic_niqe = f" / {bicubic['niqe']:.2f}" if bicubic.get("niqe") is not None else ""
        lines.append(f"| {name} | {model['psnr']:.2f} | {model['ssim_daala']:.4f} | {model['ssim_matlab']:.4f} | {niqe} | {grid} | "
                     f"{bicubic['psnr']:.2f} / {bicubic['ssim_daala']:.4f}{bicubic_niqe} |")
    # A departure that starts like a list marker ("+ 1000 x lattice penalty") would open a nested list.
    # Whole-lineage departures first, then those of some steps in the order of their first step
    # (a card built segment by segment lists them in the order the segments added them).
    departures = sorted(card.get("departures_from_paper") or [], key=_first_step)
    escaped = ["\\" + d if d[:1] in "+-*" else d for d in departures]
    lines += ["", "Departures from the paper:"] + [f"- {d}" for d in escaped]
    return translate_markdown("\n".join(lines))


def comparison_image(weights: dict[str, str | Path], data_dir: str | Path, out: str | Path, names: list[str] | None = None,
                     size: int = 96, scale: int | None = None, overwrite: bool = False) -> Path:
    """Save side-by-side crops (bicubic | each model | HR) of benchmark images as one PNG.

    Args:
        weights: label -> generator .safetensors file, in column order.
        data_dir: benchmark folder (HR/ + LR_bicubic_x4/).
        out: destination PNG.
        names: image file names to show (default: all in the folder).
        size: side of the HR crop (taken around the most detailed window, by gradient energy).
        scale: upscaling factor; None = the weights' own (all must share it), which selects
            LR_bicubic_x<scale>/.
        overwrite: replace an existing `out` (srgan.outputs).

    Raises:
        ValueError: weights of different scales, or a `names` entry not in the folder.
        outputs.OutputError: `out` exists (without `overwrite`) or is one of the inputs.
    """


    check_output_file(out, overwrite=overwrite, inputs=list(weights.values()))
    side = size
    generators, scale, pairs, files = load_comparison(weights, data_dir, names=names, scale=scale)
    check_output_file(out, overwrite=overwrite, inputs=files)
    upscalers = {label: generator_upscaler(g) for label, g in generators.items()}
    rows, row_names, crop_sizes = [], [], []
    for name, lr, hr in pairs:
        if names and name not in names:
            continue
        row_names.append(Path(name).stem)
        rgb = (lambda a: np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a)
        columns = [imresize(lr, scale=scale)] + [up(lr) for up in upscalers.values()] + [hr]
        size = min(side, *hr.shape[:2])
        crop_sizes.append(size)
        top, left = detailed_window(hr, size)
        crops = [rgb(c)[top : top + size, left : left + size] for c in columns]
        gap = np.full((size, 4, 3), 255, np.uint8)
        rows.append(np.concatenate([piece for c in crops for piece in (c, gap)][:-1], axis=1))
    if not rows:
        raise ValueError(f"{data_dir}: none of the images {names} found")
    # Images smaller than `size` give narrower rows: pad them with white on the right.
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    gap_row = np.full((4, width, 3), 255, np.uint8)
    grid = np.concatenate([piece for row in rows for piece in (row, gap_row)][:-1], axis=0)
    # nearest x2 so pixels stay visible
    grid = grid.repeat(2, axis=0).repeat(2, axis=1)
    titles = ["bicubic", *generators, "HR"]
    grid = _label_grid(grid, titles, column_width=2 * max(crop_sizes), gap=8, row_names=row_names,
                       row_heights=[2 * row.shape[0] for row in rows])
    # replace=overwrite: a file that appeared at `out` meanwhile is kept
    save_image(out, grid, replace=overwrite)
    return Path(out)


def _label_grid(grid: np.ndarray, titles: list[str], column_width: int, gap: int, row_names: list[str],
                row_heights: list[int]) -> np.ndarray:
    """The crop grid with a title over each column and each image's name left of its row, so a
    reader of the PNG alone knows which column is which model."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.load_default(size=16)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        font = ImageFont.load_default()
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_width = lambda text: measure.textbbox((0, 0), text, font=font)[2]  # noqa: E731
    left = max(text_width(name) for name in row_names) + 12
    top = 28
    canvas = Image.new("RGB", (grid.shape[1] + left, grid.shape[0] + top), "white")
    canvas.paste(Image.fromarray(grid), (left, top))
    draw = ImageDraw.Draw(canvas)
    for i, title in enumerate(titles):
        # a title wider than its column is cut at the column's width rather than run into the next
        while len(title) > 1 and text_width(title) > column_width:
            title = title[:-2] + "…"
        x = left + i * (column_width + gap) + (column_width - text_width(title)) // 2
        draw.text((x, 6), title, fill="black", font=font)
    y = top
    for name, height in zip(row_names, row_heights):
        draw.text((6, y + height // 2 - 8), name, fill="black", font=font)
        y += height + gap
    return np.asarray(canvas)


def __getattr__(name: str):
    # The earlier name `release.release` (module and function alike) still works, with a warning.
    if name == "release":
        warnings.warn("srgan.release.release is now srgan.release.release_run", DeprecationWarning, stacklevel=2)
        return release_run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
