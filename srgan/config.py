"""Configuration as dataclasses. Defaults are the paper's values (Sec. 3.2); `quick()` returns a
preset that runs on a 2-core CPU in minutes. A `Config` is saved inside every checkpoint and
rebuilt on load with `Config.from_dict`, and every field maps to a `srgan train` flag.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path


def in_checkout() -> bool:
    """True when this package is imported from a clone of the repository (pip install -e, or run in it)."""
    root = Path(__file__).resolve().parents[1]
    return (root / "pyproject.toml").is_file() and (root / "book").is_dir()


def default_shared_dir() -> Path:
    """Where benchmarks and datasets are looked for: `$SRGAN_SHARED`; else, run from a checkout,
    `../shared` next to the repository (where data/download.py puts them); else (installed with
    `pip install .` or a wheel, where the package's own location says nothing about the clone)
    the first of `./shared` and `../shared` of the current folder that exists: the clone's
    `../shared` when a command runs in the clone, a notebook's `shared/` beside it; `./shared`
    when neither exists (the errors then say where they looked and how to point elsewhere)."""
    env = os.environ.get("SRGAN_SHARED")
    if env:
        return Path(env)
    if in_checkout():
        return Path(__file__).resolve().parents[2] / "shared"
    candidates = [Path.cwd() / "shared", Path.cwd().parent / "shared"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


# The loss choices (srgan.losses implements them; kept here, where the config is checked, so
# that both read one list and this module stays free of Paddle).
PIXEL_LOSS_KINDS = ("mse", "l1")
# paper Table 1 (SRGAN = vgg54); "vgg-multi": not in the paper, Real-ESRGAN's perceptual loss (srgan.losses)
CONTENT_LOSS_KINDS = ("mse", "vgg22", "vgg54", "vgg-multi")
GAN_LOSS_KINDS = ("standard", "relativistic")  # the paper's GAN (Eq. 2), ESRGAN's relativistic average GAN
D_NORMS = ("batch", "spectral")  # the paper's BN in D; spectral normalisation (Real-ESRGAN's D)
D_ARCHS = ("paper", "unet")  # the paper's D (one verdict per crop); a U-Net with a verdict per pixel (Real-ESRGAN's D)
MAX_BLOCKS, MAX_CHANNELS = 1024, 4096  # Config.problems: what a flag or a file may ask the build for
PHASES = ("pretrain", "gan")  # phase 1 trains SRResNet, phase 2 SRGAN (paper Sec. 3.2)
VGG_ENGINES = ("auto", "dygraph", "inference", "inference-bf16")  # how the VGG content loss runs (TrainConfig.vgg_engine)


def _one_of(kinds: tuple[str, ...]) -> str:
    """'a', 'b' or 'c'"""
    quoted = [f"'{k}'" for k in kinds]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


def field_help(klass) -> dict[str, str]:
    """Each field's description from the `Args:` section of a config class's docstring (what
    `srgan train --help` prints beside its flag); a line naming several fields describes each."""
    out, names, text = {}, [], []

    def flush():
        for name in names:
            out[name] = " ".join(text)

    in_args = False
    for line in (klass.__doc__ or "").splitlines():
        stripped = line.strip()
        if stripped == "Args:":
            in_args = True
            continue
        if not in_args or not stripped:
            continue
        head, sep, rest = stripped.partition(": ")
        if sep and line.startswith(" " * 8) and not line.startswith(" " * 12) and all(
                n.strip().isidentifier() for n in head.split(",")):
            flush()
            names, text = [n.strip() for n in head.split(",")], [rest]
        else:
            text.append(stripped)
    flush()
    return out


@dataclass
class ModelConfig:
    """Networks (paper Sec. 3.2, Fig. 4).

    Args:
        scale: upscaling factor (2, 4, 8; paper: 4).
        num_blocks: residual blocks B in the generator (paper: 16).
        channels: generator feature maps (paper: 64).
        global_skip: add a bicubic upsampling of the input to the generator output (not in
            the paper; see models.Generator).
        d_channels: discriminator feature maps of the first conv (paper: 64).
        d_image_size: discriminator input side (paper: 96); None accepts any size.
        d_norm: "batch" (paper) or "spectral": spectral normalisation instead of D's BN (not in
            the paper; models.Discriminator).
        d_arch: "paper" (Fig. 4: one verdict per crop) or "unet" (not in the paper: a U-Net that
            gives a verdict per pixel, Real-ESRGAN's; models.UNetDiscriminator; spectral only).
    """

    scale: int = 4
    num_blocks: int = 16
    channels: int = 64
    global_skip: bool = False
    d_channels: int = 64
    d_image_size: int | None = 96
    d_norm: str = "batch"
    d_arch: str = "paper"


# Fields newer than some saved checkpoints, with the value those checkpoints were made with (a
# checkpoint without the field is compared as if it had it; checkpoint.check_architecture).
MODEL_FIELDS_ADDED_LATER = {"d_norm": "batch", "d_arch": "paper"}  # before these fields, D was the paper's


@dataclass
class DataConfig:
    """Training and validation data.

    Args:
        train_dirs: folders of HR training images; empty means the offline default (the
            colour photos that scikit-image ships).
        val_dir: benchmark folder with HR/ and LR_bicubic_x4/ for validation; None means Set5
            under the shared folder when present, else the offline default photos.
        hr_size: side of the random HR crops (paper: 96).
        batch_size: crops per step (paper: 16), summed over all devices.
        num_workers: DataLoader worker processes (0 = load in the main process).
        augment: random flips and 90-degree rotations.
        val_max_images: validate on at most this many images (None = all).
    """

    train_dirs: list[str] = field(default_factory=list)
    val_dir: str | None = None
    hr_size: int = 96
    batch_size: int = 16
    num_workers: int = 2
    augment: bool = True
    val_max_images: int | None = None


# The generator loss terms phase 2 may add to the paper's (weights of TrainConfig; 0 = the paper):
# each a non-negative weight (Config.problems), said to do nothing in phase 1 (srgan.train), and
# declared in model cards (srgan.release.departures_from_paper, with what each term is).
PHASE2_G_TERMS = ("gan_pixel_weight", "lattice_weight", "lowfreq_weight", "chroma_weight", "lr_consistency_weight",
                  "artifact_weight", "texture_weight", "texture_direction_weight")


@dataclass
class TrainConfig:
    """Optimisation (paper Sec. 3.2) and bookkeeping.

    Args:
        phase: "pretrain" (SRResNet, pixel MSE) or "gan" (SRGAN, content + adversarial).
        steps: total update iterations (paper: 1e6 for pretrain, 2e5 for gan).
        lr: Adam learning rate (paper: 1e-4).
        beta1, beta2: Adam betas (paper: beta1 = 0.9; it does not give beta2, Adam's default 0.999 here).
        lr_milestones: steps at which the learning rate is multiplied by lr_gamma (paper's
            SRGAN: 1e-4 for 1e5 steps then 1e-5, i.e. [100000] with gamma 0.1).
        lr_gamma: factor applied at each milestone.
        cosine: use a cosine decay from lr to lr * lr_gamma over `steps` instead of
            milestones (not in the paper; converges faster on short budgets).
        pixel_loss: "mse" (paper) or "l1" for phase 1.
        content_loss: "mse", "vgg22" or "vgg54" for phase 2 (paper Table 1; SRGAN = vgg54), or,
            not in the paper, "vgg-multi": Real-ESRGAN's perceptual loss over five VGG19 layers.
        adv_weight: weight of the adversarial term (paper: 1e-3).
        gan_loss: phase 2: "standard" (the paper's Eq. 2 with the non-saturating l_Gen, Eq. 6) or
            "relativistic" (not in the paper: ESRGAN's relativistic average GAN, Sec. 3.2, whose G
            keeps a gradient when D rejects every SR; losses.relativistic_generator_loss).
        gan_pixel_weight: phase 2, not in the paper: add this weight times the pixel loss
            (`pixel_loss`) to the content loss, as ESRGAN/BasicSR do; a VGG loss barely sees a
            faint period-4 lattice, a pixel loss penalises it directly (weight 1 did not reduce
            the early phase-2 lattice here). 0 = the paper.
        lattice_weight: phase 2, not in the paper: add this weight times
            `losses.lattice_penalty` (SR's lattice energy at the pixel-shuffle period, the scale, beyond
            HR's, per 32 px window) to the generator loss; 1 = the pixel MSE's own weight on those
            frequencies. 0 = the paper.
        lowfreq_weight: phase 2, not in the paper: add this weight times
            `losses.low_frequency_loss` (pixel MSE of SR and HR averaged over scale x scale
            blocks, i.e. at the LR's resolution) to the generator loss, against the colour drift
            of phase 2; it leaves the texture inside the blocks free. 0 = the paper.
        chroma_weight: phase 2, not in the paper: add this weight times `losses.chroma_loss`
            (pixel MSE of SR's and HR's Cb and Cr at full resolution) to the generator loss,
            against invented colour (speckle, cast); luma stays free for texture. 0 = the paper.
        lr_consistency_weight: phase 2, not in the paper: add this weight times
            `losses.lr_consistency_loss` (MSE of SR's MATLAB-bicubic downscale and the LR input, in
            [-1, 1] units) to the generator loss: pins what the input fixes (colour, low
            frequencies) and nothing more. 0 = the paper.
        artifact_weight: phase 2, not in the paper: add this weight times `losses.artifact_loss`
            (LDL, Liang et al. CVPR 2022: L1 of SR and HR weighted by where SR's residual varies
            from pixel to pixel and G is worse than its running average) to the generator loss,
            against invented grain and speckle; needs ema_decay > 0 (the average is LDL's
            reference). 0 = the paper.
        texture_weight: phase 2, not in the paper: add this weight times `losses.texture_loss` (L1
            of SR's and HR's structure tensors of the luma detail band: which way fine texture runs
            and how much there is, not where each strand sits) to the generator loss, against grain
            that ignores the photo's structures. 0 = the paper.
        texture_direction_weight: phase 2, not in the paper: add this weight times
            `losses.texture_direction_loss` (L1 of SR's and HR's detail orientation vectors, weighted
            by HR's detail energy: which way fine texture runs where the photo has some, not how
            much) to the generator loss. 0 = the paper.
        ema_decay: not in the paper: also keep an exponential moving average of G's weights
            (srgan.ema; ESRGAN's code uses 0.999), and validate, keep (best_generator) and release
            the average instead of the last weights; it spans about 1 / (1 - ema_decay) steps.
            0 = off (the paper).
        d_warmup_steps: phase 2 only: the first steps update D alone, G fixed (not in the paper,
            which trains D from scratch beside G); rebuilds a discriminator when released
            generator weights are continued without their D (see ci/train_weights.sh).
        d_renew_every: phase 2, not in the paper: every this many steps D is replaced by a new one
            (fresh initialisation and Adam state), which then trains alone for d_warmup_steps
            steps as at the start. A long-trained D lets colour speckle creep back into G's
            texture; a fresh one sheds it (issue 23's runs T and U). 0 = one D throughout (the paper).
        vgg_weights: VGG19 weights for the content loss: a file path, "paper", "imagenet", or
            "random" (tests only). None = the default search of srgan.vgg (the paper's VGG19 in
            $SRGAN_VGG19_WEIGHTS or the shared folder, Paddle's cache, then a download).
        vgg_before_activation: phase 2, not in the paper: the VGG content loss compares the
            features before phi_i,j's ReLU (ESRGAN, Wang et al. 2018, Sec. 3.3, which reports
            that after the ReLU, where phi_5,4 is mostly zeros, brightness drifts from the ground
            truth; phase 2's colour cast here looks like that). False = the paper.
        vgg_engine: how the VGG content loss runs: "dygraph" (autograd through the VGG),
            "inference" (loss and gradient by Paddle Inference with oneDNN, CPU; faster there,
            equal within float32 noise: srgan.vgg_inference), "inference-bf16" (the same in
            bfloat16, CPUs with AVX512_BF16 or AMX only; gradient within 6% of float32's, the same
            training curve: train.vgg_engine_for), or "auto" = "inference-bf16" on a CPU that has
            bfloat16, "inference" on another CPU, "dygraph" on a GPU. Not a departure
            from the paper: the same Eq. 5.
        init_generator: generator weights (.safetensors or a checkpoint) to start from: phase 2
            starts from the trained SRResNet (paper); phase 1 may continue earlier weights. On
            the command line also a shipped model's short name, "srresnet" or "srgan".
        out_dir: run folder (checkpoints, logs, images).
        log_every, val_every, ckpt_every: intervals in steps.
        keep_last: checkpoints kept besides the best one (>= 1); None keeps them all
            (`--keep-last all`).
        seed: seeds parameters, crops and augmentation.
        amp: mixed precision (GPU only; ignored on CPU).
        device: "auto", "cpu", "gpu" or "gpu:N".
        max_minutes: stop (with a checkpoint) after this many minutes of training, None = no limit.
        visualdl: also write VisualDL scalars/images when visualdl is installed.
    """

    phase: str = "pretrain"
    steps: int = 1_000_000
    lr: float = 1e-4
    beta1: float = 0.9
    beta2: float = 0.999
    lr_milestones: list[int] = field(default_factory=list)
    lr_gamma: float = 0.1
    cosine: bool = False
    pixel_loss: str = "mse"
    content_loss: str = "vgg54"
    adv_weight: float = 1e-3
    gan_loss: str = "standard"
    gan_pixel_weight: float = 0.0
    lattice_weight: float = 0.0
    lowfreq_weight: float = 0.0
    chroma_weight: float = 0.0
    lr_consistency_weight: float = 0.0
    artifact_weight: float = 0.0
    texture_weight: float = 0.0
    texture_direction_weight: float = 0.0
    ema_decay: float = 0.0
    d_warmup_steps: int = 0
    d_renew_every: int = 0
    vgg_weights: str | None = None
    vgg_before_activation: bool = False
    vgg_engine: str = "auto"
    init_generator: str | None = None
    out_dir: str = "runs/srresnet"
    log_every: int = 10
    val_every: int = 1000
    ckpt_every: int = 1000
    keep_last: int | None = 2
    seed: int = 0
    amp: bool = False
    device: str = "auto"
    max_minutes: float | None = None
    visualdl: bool = True


# Fields of earlier versions, retired with the value that meant "off": configs and checkpoints
# that hold them at that value still load. d_shift (D's input at a random offset) and vgg_shift
# (the VGG loss's window at one) were experiments against the phase-2 lattice that did not
# reduce it (docs/EXPERIMENTS.md, "Phase 2 with the paper's VGG19").
RETIRED = {"train": {"d_shift": 0, "vgg_shift": 0}}


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def problems(self) -> list[str]:
        """What is wrong with this config for training, one phrase per problem ([] if nothing)."""
        model, data, train = self.model, self.data, self.train
        out = []

        def need(ok: bool, text: str) -> None:
            if not ok:
                out.append(text)

        def count(name: str, value, minimum: int, maximum: int | None = None) -> None:
            need(isinstance(value, int) and not isinstance(value, bool) and value >= minimum
                 and (maximum is None or value <= maximum),
                 f"{name} must be an integer >= {minimum}" + (f" and <= {maximum:,}" if maximum else "") + f", got {value!r}")

        # inf and nan pass every comparison below that they should fail (inf > 0), and a run with
        # them diverges at once: no setting may be a non-finite number.
        for section in (model, data, train):
            for f in dataclasses.fields(section):
                values = getattr(section, f.name)
                for value in values if isinstance(values, list) else [values]:
                    if isinstance(value, float) and not math.isfinite(value):
                        out.append(f"{f.name} must be a finite number, got {value!r}")
                # A switch read from JSON as "false" (a string) would count as on.
                if str(f.type) == "bool" and not isinstance(values, bool):
                    out.append(f"{f.name} must be true or false, got {values!r}")
        need(train.phase in PHASES, f"phase must be {_one_of(PHASES)}, got {train.phase!r}")
        need(isinstance(model.scale, int) and model.scale >= 2 and not model.scale & (model.scale - 1),
             f"scale must be a power of two (2, 4, 8), got {model.scale!r}")
        # Upper bounds far above any network one would train (the paper: 16 blocks, 64 channels), so
        # that a flag or a file's metadata cannot make the build itself exhaust memory or hang.
        count("num_blocks", model.num_blocks, 1, MAX_BLOCKS)
        count("channels", model.channels, 1, MAX_CHANNELS)
        count("d_channels", model.d_channels, 1, MAX_CHANNELS)
        need(model.d_image_size is None
             or (isinstance(model.d_image_size, int) and model.d_image_size >= 16 and model.d_image_size % 16 == 0),
             f"d_image_size must be a multiple of 16 (or none), got {model.d_image_size!r}")
        need(model.d_norm in D_NORMS, f"d_norm must be {_one_of(D_NORMS)}, got {model.d_norm!r}")
        need(model.d_arch in D_ARCHS, f"d_arch must be {_one_of(D_ARCHS)}, got {model.d_arch!r}")
        need(model.d_arch != "unet" or model.d_norm == "spectral",
             f"d_arch unet needs d_norm spectral (its layers have no BN), got {model.d_norm!r}")
        count("hr_size", data.hr_size, 1)
        if isinstance(data.hr_size, int) and isinstance(model.scale, int) and model.scale > 0 and data.hr_size % model.scale:
            nearest = max(model.scale, data.hr_size // model.scale * model.scale)
            out.append(f"hr_size {data.hr_size} is not divisible by the scale {model.scale} (e.g. {nearest})")
        if train.phase == "gan" and model.d_image_size is not None and model.d_image_size != data.hr_size:
            out.append(f"d_image_size {model.d_image_size} differs from hr_size {data.hr_size}: the discriminator sees the HR crops "
                       "(set them equal, or d_image_size none)")
        count("batch_size", data.batch_size, 1)
        count("num_workers", data.num_workers, 0)
        need(data.val_max_images is None or (isinstance(data.val_max_images, int) and data.val_max_images >= 1),
             f"val_max_images must be >= 1 (or none for all), got {data.val_max_images!r}")
        count("steps", train.steps, 1)
        need(train.lr > 0, f"lr must be > 0, got {train.lr!r}")
        need(0 <= train.beta1 < 1 and 0 <= train.beta2 < 1, f"beta1 and beta2 must be in [0, 1), got {train.beta1!r}, {train.beta2!r}")
        need(train.lr_gamma > 0, f"lr_gamma must be > 0, got {train.lr_gamma!r}")
        need(all(isinstance(s, int) and s > 0 for s in train.lr_milestones)
             and list(train.lr_milestones) == sorted(set(train.lr_milestones)),
             f"lr_milestones must be increasing positive steps, got {train.lr_milestones!r}")
        need(train.pixel_loss in PIXEL_LOSS_KINDS, f"pixel_loss must be {_one_of(PIXEL_LOSS_KINDS)}, got {train.pixel_loss!r}")
        need(train.content_loss in CONTENT_LOSS_KINDS,
             f"content_loss must be {_one_of(CONTENT_LOSS_KINDS)}, got {train.content_loss!r}")
        need(train.gan_loss in GAN_LOSS_KINDS, f"gan_loss must be {_one_of(GAN_LOSS_KINDS)}, got {train.gan_loss!r}")
        need(train.adv_weight >= 0, f"adv_weight must be >= 0, got {train.adv_weight!r}")
        for name in PHASE2_G_TERMS:
            need(getattr(train, name) >= 0, f"{name} must be >= 0, got {getattr(train, name)!r}")
        need(0 <= train.ema_decay < 1, f"ema_decay must be in [0, 1), got {train.ema_decay!r}")
        need(not train.artifact_weight or not isinstance(train.ema_decay, (int, float)) or train.ema_decay > 0,
             f"artifact_weight {train.artifact_weight!r} needs ema_decay > 0: the running average of G is the "
             f"reference its artifact map compares with")
        count("d_warmup_steps", train.d_warmup_steps, 0)
        count("d_renew_every", train.d_renew_every, 0)
        if train.phase == "gan" and all(isinstance(v, int) for v in (train.d_renew_every, train.d_warmup_steps)):
            need(train.d_renew_every <= 0 or train.d_renew_every > train.d_warmup_steps,
                 f"d_renew_every ({train.d_renew_every}) must exceed d_warmup_steps ({train.d_warmup_steps}): each new "
                 f"D trains alone for d_warmup_steps, then with G until it is renewed")
        need(train.vgg_engine in VGG_ENGINES, f"vgg_engine must be {_one_of(VGG_ENGINES)}, got {train.vgg_engine!r}")
        for name in ("log_every", "val_every", "ckpt_every"):
            count(name, getattr(train, name), 1)
        need(train.keep_last is None or (isinstance(train.keep_last, int) and train.keep_last >= 1),
             f"keep_last must be >= 1, or all (none) to keep every checkpoint, got {train.keep_last!r}")
        need(train.max_minutes is None or train.max_minutes >= 0, f"max_minutes must be >= 0 (or none), got {train.max_minutes!r}")
        need(isinstance(train.seed, int) and not isinstance(train.seed, bool) and 0 <= train.seed < 2**32,
             f"seed must be an integer in [0, 2**32), got {train.seed!r}")  # numpy's seed range; Paddle's is wider
        return out

    def validate(self) -> None:
        """Raise one ValueError naming every problem of problems(), before anything runs."""
        problems = self.problems()
        if problems:
            raise ValueError("invalid training config: " + "; ".join(problems))

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        """Rebuild from `to_dict()` output; unknown keys (from a newer version) are an error.
        Retired fields (RETIRED) are read when they hold their "off" value, refused otherwise."""
        parts = {}
        for name, klass in (("model", ModelConfig), ("data", DataConfig), ("train", TrainConfig)):
            sub = dict(d.get(name, {}))
            for field_name, off in RETIRED.get(name, {}).items():
                if field_name in sub and sub.pop(field_name) != off:
                    raise ValueError(f"{field_name} {d[name][field_name]!r}: a retired experiment (it did not reduce the "
                                     f"lattice, docs/EXPERIMENTS.md); this version trains only with {field_name} {off}")
            known = {f.name for f in dataclasses.fields(klass)}
            unknown = set(sub) - known
            if unknown:
                raise ValueError(f"unknown {name} config fields {sorted(unknown)}")
            parts[name] = klass(**sub)
        return cls(**parts)


# The paper's training set (Sec. 3.2), the one part of its recipe no config field can name.
PAPER_TRAINING_DATA = "350k ImageNet images"


def paper(phase: str = "pretrain") -> Config:
    """The paper's recipe: SRResNet 1e6 steps at 1e-4; SRGAN 1e5 at 1e-4 then 1e5 at 1e-5."""
    # release.departures_from_paper compares runs with this, so it is the one place where the
    # paper's values are written down (most as the dataclasses' defaults).
    if phase == "pretrain":
        return Config(train=TrainConfig(phase="pretrain", steps=1_000_000, out_dir="runs/srresnet"))
    if phase == "gan":
        return Config(train=TrainConfig(phase="gan", steps=200_000, lr_milestones=[100_000], out_dir="runs/srgan"))
    raise ValueError(f"phase must be {_one_of(PHASES)}, got {phase!r}")


def quick(phase: str = "pretrain") -> Config:
    """A preset for a 2-core CPU that finishes in a few minutes: a small generator, 48 px
    crops, a few dozen steps. It shows the mechanics, not the paper's quality."""
    cfg = paper(phase)
    cfg.model = ModelConfig(num_blocks=2, channels=16, d_channels=16, d_image_size=48)
    cfg.data = DataConfig(hr_size=48, batch_size=4, num_workers=0, val_max_images=2)
    cfg.train.steps = 30
    cfg.train.lr = 2e-4
    cfg.train.lr_milestones = [20] if phase == "gan" else []
    cfg.train.log_every = 5
    cfg.train.val_every = 15
    cfg.train.ckpt_every = 15
    cfg.train.content_loss = "mse"  # no ImageNet VGG19 offline; the paper's SRGAN-MSE variant
    cfg.train.out_dir = f"runs/quick-{phase}"
    return cfg
