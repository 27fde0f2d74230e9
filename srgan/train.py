"""The two-phase trainer (paper Sec. 3.2): SRResNet with a pixel loss, then SRGAN.

One `Trainer` serves both phases, built by composition: networks, losses, optimizers,
schedulers, a data loader and a logger, each an ordinary object. The phase only changes which
of them exist and what `train_step` computes:

- "pretrain" (SRResNet): G minimises the pixel MSE between G(LR) and HR on [-1, 1].
- "gan" (SRGAN): G starts from the trained SRResNet; per step one G update with
  content + 1e-3 * adversarial (Eq. 3), then one D update with BCE on real HR and detached
  G(LR) (k = 1 in Goodfellow et al.'s Algorithm 1). G is updated first with D frozen, as
  BasicSR and PaddleGAN do.

Mixed precision goes through the same code path: `paddle.amp.auto_cast(enable=...)` and a
`GradScaler(enable=...)` that is a pass-through when AMP is off (always on CPU).

Run on several GPUs with `python -m paddle.distributed.launch --gpus 0,1 "$(command -v srgan)" train ...`
(or several CPU processes with `--nproc_per_node 2`, gloo backend):
the trainer detects the world size, wraps the networks in paddle.DataParallel and gives each
rank its own slice of the sample stream (data.StepBatchSampler).
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import paddle
import paddle.nn.functional as F
from tqdm.auto import tqdm

from . import checkpoint as ckpt
from . import ranks, runs, vgg_inference
from .config import PHASE2_G_TERMS, Config
from .data import TrainCrops, default_validation_pairs, load_training_images, train_loader
from .device import keep_freed_memory, pick_device
from .ema import WeightAverage
from .evaluate import generator_upscaler
from .image_io import save_image
from .imresize import imresize
from .interrupt import StopOnSigterm
from .log import logger
from .losses import (ContentLoss, PixelLoss, discriminator_loss, generator_adversarial_loss, lattice_penalty,
                     artifact_loss, chroma_loss, texture_direction_loss, texture_loss, low_frequency_loss, lr_consistency_loss, relativistic_discriminator_loss, relativistic_generator_loss)
from .metrics import VALIDATION_METRICS, score_pair, summary_score
from .models import Generator, build_discriminator


class TrainingDiverged(RuntimeError):
    """A non-finite loss or weights: training stopped, and nothing of the step was saved
    (`srgan train` exits with status 3, cli.EXIT_DIVERGED)."""

    exit_status = 3


# --- small pieces -----------------------------------------------------------------------
def vgg_engine_for(device: str, requested: str = "auto") -> str:
    """How the VGG content loss runs: "auto" is Paddle Inference on a CPU (srgan.vgg_inference:
    faster there), in bfloat16 where the CPU computes it (vgg_inference.cpu_has_bf16: AVX512_BF16
    or AMX), else in float32, and dygraph on a GPU. bfloat16's phase-2 step costs 0.84x float32's,
    its gradient is within 6% of float32's, and it trains the same curve: two runs from the same
    start and seed, 1,400 updates each, were within 0.05 dB PSNR and 0.05 NIQE of each other on
    the selection set at every validation (weights/experiments/issue23/S_R2637_*vgg_run_log.jsonl).
    "inference" asks for float32 by name.

    Raises:
        ValueError: "inference-bf16" asked for on a GPU or on a CPU without bfloat16.
    """
    if requested == "inference-bf16" and not (device == "cpu" and vgg_inference.cpu_has_bf16()):
        raise ValueError(f"vgg_engine 'inference-bf16' needs a CPU with bfloat16 instructions (AVX512_BF16 or AMX); "
                         f"this {'CPU has none' if device == 'cpu' else f'run is on {device}'}: use 'inference' or 'auto'")
    if requested != "auto":
        return requested
    if device != "cpu":
        return "dygraph"
    return "inference-bf16" if vgg_inference.cpu_has_bf16() else "inference"


def _parallel(network, world_size: int):
    """`network` wrapped for data-parallel training when there are several ranks (None stays None)."""
    return paddle.DataParallel(network) if world_size > 1 and network is not None else network


def _validation_line(metrics: dict) -> str:
    def shown(value) -> str:  # a score the images are too small (or too flat) for: "-", as the tables show it
        return "-" if value is None or math.isnan(value) else f"{value:.2f}"

    return (f"step {metrics['step']}: val PSNR {metrics['psnr']:.2f} dB, SSIM {metrics['ssim_daala']:.4f}, "
            f"NIQE {shown(metrics['niqe'])}, grid contrast {shown(metrics['grid_contrast'])}")


def build_scheduler(cfg: Config):
    """Milestone decay (paper: x0.1 after 1e5 SRGAN steps) or, if cfg.train.cosine, cosine decay."""
    train_cfg = cfg.train
    if train_cfg.cosine:
        return paddle.optimizer.lr.CosineAnnealingDecay(learning_rate=train_cfg.lr, T_max=max(1, train_cfg.steps),
                                                        eta_min=train_cfg.lr * train_cfg.lr_gamma)
    if train_cfg.lr_milestones:
        return paddle.optimizer.lr.MultiStepDecay(learning_rate=train_cfg.lr, milestones=list(train_cfg.lr_milestones),
                                                  gamma=train_cfg.lr_gamma)
    return paddle.optimizer.lr.LambdaDecay(learning_rate=train_cfg.lr, lr_lambda=lambda step: 1.0)


def build_optimizer(parameters, scheduler, cfg: Config):
    """Adam (paper Sec. 3.2: beta1 = 0.9) with the learning rate from `scheduler`."""
    return paddle.optimizer.Adam(learning_rate=scheduler, beta1=cfg.train.beta1, beta2=cfg.train.beta2, parameters=parameters)


def set_requires_grad(parameters, flag: bool) -> None:
    """Freeze or unfreeze `parameters` (pass only trainable ones: Paddle lists BN running
    statistics as parameters too, and those must stay frozen)."""
    for p in parameters:
        p.stop_gradient = not flag


def save_grid(path: Path, lr: np.ndarray, sr: np.ndarray, hr: np.ndarray, scale: int, size: int = 96) -> np.ndarray:
    """Save a centre crop LR (nearest) | bicubic | SR | HR side by side, as a PNG; return it."""
    def rgb(a):
        return np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a

    lr, sr, hr = rgb(lr), rgb(sr), rgb(hr)
    size = min(size, hr.shape[0], hr.shape[1]) // scale * scale
    top, left = (hr.shape[0] - size) // 2 // scale * scale, (hr.shape[1] - size) // 2 // scale * scale
    crop = lambda a, s=1: a[top // s : (top + size) // s, left // s : (left + size) // s]  # noqa: E731
    lr_c = crop(lr, scale)
    nearest = lr_c.repeat(scale, axis=0).repeat(scale, axis=1)
    bicubic = imresize(lr_c, scale=scale)
    grid = np.concatenate([nearest, bicubic, crop(sr), crop(hr)], axis=1)
    save_image(path, grid)
    return grid


# --- the trainer ----------------------------------------------------------------------
class Trainer:
    """Trains one phase described by `cfg`; `fit()` runs it, resuming if asked.

    Args:
        cfg: the full Config (model, data, train). Saved in every checkpoint.
        images: optional list of (name, uint8 RGB) training images; default: read cfg.data.train_dirs.
        val_pairs: optional list of (name, LR uint8, HR uint8); default: data.default_validation_pairs.
        progress: show a tqdm progress bar.
        report_lines: without the bar, print one plain line per validation to stderr (the CLI
            writing to a log: a bar there is carriage-return updates filling the file).
    """

    def __init__(self, cfg: Config, images=None, val_pairs=None, progress: bool = True, report_lines: bool = False):
        train_cfg = cfg.train
        cfg.validate()  # every bad value in one message, before anything is built or written
        self.cfg = cfg
        self.device = pick_device(train_cfg.device)
        if self.device == "cpu":
            keep_freed_memory()  # dygraph re-allocates the same buffers every step (see device.py)
        self.rank, self.world_size = ranks.world()
        if self.world_size > 1:
            paddle.distributed.init_parallel_env()
        if cfg.data.batch_size % self.world_size:
            raise ValueError(f"batch_size {cfg.data.batch_size} is not divisible by {self.world_size} devices")
        self.is_main = self.rank == 0
        self.vgg_engine = vgg_engine_for(self.device, train_cfg.vgg_engine)
        if train_cfg.vgg_weights and (train_cfg.phase != "gan" or train_cfg.content_loss == "mse"):
            import warnings  # a flag that does nothing is said to do nothing (it was accepted in silence)

            warnings.warn(f"--vgg-weights {train_cfg.vgg_weights} is not used: no VGG loss in this run "
                          f"(phase {train_cfg.phase}, content loss {train_cfg.content_loss})", stacklevel=2)
        unused = [name for name in PHASE2_G_TERMS if getattr(train_cfg, name)] if train_cfg.phase != "gan" else []
        if unused:  # phase 2's extra terms in a phase-1 run do nothing: said, as --vgg-weights is (hostile s24)
            import warnings

            warnings.warn(f"{', '.join('--' + n.replace('_', '-') for n in unused)}: not used in phase {train_cfg.phase} "
                          "(phase 2's generator terms)", stacklevel=2)
        self.out_dir = Path(train_cfg.out_dir)  # created by fit(), which opens the run folder (runs.open_run)
        self.progress = progress and self.is_main
        self.report_lines = report_lines and self.is_main
        paddle.seed(train_cfg.seed)
        np.random.seed(train_cfg.seed)

        # Networks. Phase 2 starts G from the trained SRResNet (paper Sec. 3.2), whose
        # architecture comes with it (cfg.model takes it); continuing phase 1 can do the same.
        if train_cfg.init_generator:
            self.generator = ckpt.initial_generator(train_cfg.init_generator, model=cfg.model)
        else:
            self.generator = Generator.from_config(cfg.model)
        self.sched_g = build_scheduler(cfg)
        self.opt_g = build_optimizer(self.generator.parameters(), self.sched_g, cfg)
        self.discriminator = self.opt_d = self.sched_d = None
        if train_cfg.phase == "gan":
            self.discriminator = build_discriminator(cfg.model)
            self.d_parameters = [p for p in self.discriminator.parameters() if not p.stop_gradient]
            self.sched_d = build_scheduler(cfg)
            self.opt_d = build_optimizer(self.discriminator.parameters(), self.sched_d, cfg)
            self.content_loss = ContentLoss(kind=train_cfg.content_loss, vgg_weights=train_cfg.vgg_weights,
                                            engine=self.vgg_engine,
                                            before_activation=train_cfg.vgg_before_activation)
        self.pixel_loss = PixelLoss(train_cfg.pixel_loss)  # phase 1's loss; phase 2's optional pixel term
        # Not in the paper: an average of G's weights, which validation scores and the run releases.
        self.ema = WeightAverage(self.generator, train_cfg.ema_decay) if train_cfg.ema_decay else None
        # BN statistics: SyncBatchNorm would be closer to single-device training but costs a
        # collective per layer; per-device batch statistics are what the paper's setting has.
        self.g_train, self.d_train = _parallel(self.generator, self.world_size), _parallel(self.discriminator, self.world_size)
        self.use_amp = train_cfg.amp and self.device.startswith("gpu")
        self.scaler = paddle.amp.GradScaler(enable=self.use_amp, init_loss_scaling=2.0**16)

        self.step, self.best_psnr = 0, -math.inf  # the best validation PSNR picks best_generator.safetensors
        self.interrupted = False  # fit() stopped by Ctrl-C or SIGTERM (not by max_minutes or the end)
        self.images, self.val_pairs = images, val_pairs  # None: read from cfg.data when fit() starts
        self.logger = runs.JsonlLogger(self.out_dir, enabled=self.is_main, visualdl=train_cfg.visualdl)

    # -- state ------------------------------------------------------------------------
    def _parts(self) -> dict:
        """What a checkpoint holds of this run besides its step (checkpoint.training_state)."""
        return {"generator": self.generator, "opt_g": self.opt_g, "sched_g": self.sched_g, "scaler": self.scaler,
                "ema": self.ema, "discriminator": self.discriminator, "opt_d": self.opt_d, "sched_d": self.sched_d}

    def state_dict(self) -> dict:
        return ckpt.training_state(step=self.step, phase=self.cfg.train.phase, best_psnr=self.best_psnr,
                                   config=self.cfg.to_dict(), **self._parts())

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        self.step, self.best_psnr = ckpt.restore_training_state(state, source, phase=self.cfg.train.phase, **self._parts())

    def save(self) -> Path | None:
        """Write ckpt_<step>.ckpt atomically and keep the newest `keep_last` (runs.prune_checkpoints)."""
        if not self.is_main:
            return None
        state = self.state_dict()
        bad = ckpt.non_finite_parts(state, ckpt.WEIGHTS)
        if bad:  # a diverged network is not saved over the last good checkpoints
            raise TrainingDiverged(f"step {self.step}: the weights hold NaN or infinite values ({', '.join(bad[:3])}); "
                                   f"training diverged, not saved{runs.newest_checkpoint_note(self.out_dir)}")
        path = runs.checkpoint_path(self.out_dir, self.step)
        ckpt.save_checkpoint(path, state)
        runs.prune_checkpoints(self.out_dir, self.cfg.train.keep_last, self.step)
        return path

    def resume(self, path: str | os.PathLike | None = None) -> bool:
        """Continue from checkpoint `path`, or (None) from the newest readable checkpoint in
        out_dir, skipping unreadable newer ones with a warning; False if out_dir has none.
        What continuing means (this run, or another folder's as a new segment) is runs.run_start's."""
        return self._resume(runs.run_start(self.out_dir, True if path is None else path))

    def _resume(self, start: runs.RunStart) -> bool:
        found = ckpt.resume_state(self.out_dir, start, config=self.cfg.to_dict())
        if found is not None:
            self.load_state_dict(*found)
        return found is not None

    # -- one update -----------------------------------------------------------------
    def train_step(self, lr, hr) -> dict:
        """One update (pretrain) or one G then one D update (gan); returns float losses.

        lr: (N, 3, h, w) in [0, 1]; hr: (N, 3, s*h, s*w) in [-1, 1].
        """
        self.generator.train()
        if self.discriminator is None:
            losses = self.pretrain_step(lr, hr)
        else:
            self.discriminator.train()
            losses = self.gan_step(lr, hr)
        if self.ema is not None:
            self.ema.update(self.generator)
        return losses

    def pretrain_step(self, lr, hr) -> dict:
        """Phase 1: one Adam step of G on the pixel loss between G(LR) and HR."""
        with paddle.amp.auto_cast(enable=self.use_amp):
            loss = self.pixel_loss(self.g_train(lr), hr)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt_g)
        self.scaler.update()
        self.opt_g.clear_grad()
        self.sched_g.step()
        return {"loss": float(loss)}

    def gan_step(self, lr, hr) -> dict:
        """Phase 2, the paper's algorithm (Sec. 2.2 and 3.2): one G step on the perceptual loss
        l_SR = l_X + 1e-3 l_Gen (Eq. 3) with D frozen, then one D step on real HR and the
        detached G(LR) (Eq. 2). What this code adds to the paper (D renewal and warm-up, the first
        four lines; extra G loss terms, mixed precision, data parallel) is in the named methods after
        this one, each off by default."""
        if self._d_renewal_due():
            self._renew_discriminator()
        if self._d_age() < self.cfg.train.d_warmup_steps:
            return self._d_warmup_step(lr, hr)
        # G step, D frozen so that this backward pass updates G only.
        set_requires_grad(self.d_parameters, False)
        with self._mixed_precision():
            sr = self.g_train(lr)
            content = self._content_loss(sr, hr)                                    # l_X
            adversarial = self._g_adversarial_loss(sr, hr)                        # l_Gen = -log D(G(LR))
            loss_g = content + self.cfg.train.adv_weight * adversarial              # l_SR
            loss_g, extra = self._add_g_penalties(loss_g, sr, hr, lr)              # none in the paper
        self._optimizer_step(loss_g, self.opt_g)
        # D step on real HR and the detached SR, so that this backward pass updates D only.
        d_losses = self._d_step(hr, sr.detach())
        return {**extra, "loss_g": float(loss_g), "content": float(content), "adversarial": float(adversarial), **d_losses}

    # The departures from the paper's algorithm, one method each.
    def _d_warmup_step(self, lr, hr) -> dict:
        """Not in the paper (cfg.train.d_warmup_steps): a D step with G held fixed, so that
        released generator weights continue against a trained critic, not a random one. G runs
        in eval mode: the released network as users run it, its BN statistics untouched."""
        self.generator.eval()
        with paddle.no_grad():
            sr = self.generator(lr)
        self.generator.train()
        return self._d_step(hr, sr.detach())

    def _d_age(self) -> int:
        """Steps since D was (re)built: the step, or the step within cfg.train.d_renew_every."""
        renew = self.cfg.train.d_renew_every
        return self.step % renew if renew else self.step

    def _d_renewal_due(self) -> bool:
        return bool(self.cfg.train.d_renew_every) and self.step > 0 and self._d_age() == 0

    def _renew_discriminator(self) -> None:
        """Not in the paper (cfg.train.d_renew_every): replace D by a new one (fresh initialisation
        and Adam state), which _d_warmup_step then trains alone. Its initial weights come from the
        seed and the step, the same on every rank and on a resumed run, and the random stream the
        run goes on with is left as it was."""
        rng = paddle.get_rng_state()
        paddle.seed(self.cfg.train.seed + self.step)
        fresh = build_discriminator(self.cfg.model)
        paddle.set_rng_state(rng)
        self.discriminator.set_state_dict(fresh.state_dict())  # in place: the data-parallel wrapper keeps its layer
        self.opt_d = build_optimizer(self.discriminator.parameters(), self.sched_d, self.cfg)
        if self.is_main:
            logger.info(f"step {self.step}: a new discriminator (d_renew_every {self.cfg.train.d_renew_every})")

    def _content_loss(self, sr, hr):
        """l_X, the configured content loss (the paper's SRGAN: VGG54), plus, not in the paper,
        cfg.train.gan_pixel_weight times the pixel loss beside it (logged as part of l_X)."""
        content = self.content_loss(sr, hr)
        if self.cfg.train.gan_pixel_weight:
            content = content + self.cfg.train.gan_pixel_weight * self.pixel_loss(sr, hr)
        return content

    def _g_adversarial_loss(self, sr, hr):
        """l_Gen = -log D(G(LR)) (Eq. 6); or, not in the paper (cfg.train.gan_loss
        "relativistic"), ESRGAN's relativistic form, which also needs D's logits on HR (no
        gradient: this step trains G only). D is frozen here, so the bare network is called, not
        its DataParallel wrapper: the wrapper would wait for D gradients to all-reduce that never
        come, and Paddle then fails in the D backward ("parameter ... has been ready before")."""
        fake_logits = self.discriminator(sr)
        if self.cfg.train.gan_loss != "relativistic":
            return generator_adversarial_loss(fake_logits)
        with paddle.no_grad():
            real_logits = self.discriminator(hr)
        return relativistic_generator_loss(real_logits, fake_logits)

    def _add_g_penalties(self, loss_g, sr, hr, lr):
        """Not in the paper: the weighted lattice penalty (cfg.train.lattice_weight), low-frequency
        loss (cfg.train.lowfreq_weight), chroma loss (cfg.train.chroma_weight), LR-consistency
        loss (cfg.train.lr_consistency_weight), LDL's artifact loss (cfg.train.artifact_weight) and
        the texture losses (cfg.train.texture_weight, texture_direction_weight) added to G's loss.
        Returns (loss, their unweighted values)."""
        extra = {}
        if self.cfg.train.lattice_weight:  # penalise the pixel-shuffle lattice; its period is the scale
            lattice = lattice_penalty(sr, hr, period=self.cfg.model.scale)
            loss_g = loss_g + self.cfg.train.lattice_weight * lattice
            extra["lattice"] = float(lattice)
        if self.cfg.train.lowfreq_weight:  # hold SR's block means (colour) to HR's
            lowfreq = low_frequency_loss(sr, hr, factor=self.cfg.model.scale)
            loss_g = loss_g + self.cfg.train.lowfreq_weight * lowfreq
            extra["lowfreq"] = float(lowfreq)
        if self.cfg.train.chroma_weight:  # hold SR's colour to HR's, pixel by pixel; luma stays free
            chroma = chroma_loss(sr, hr)
            loss_g = loss_g + self.cfg.train.chroma_weight * chroma
            extra["chroma"] = float(chroma)
        if self.cfg.train.lr_consistency_weight:  # hold SR's bicubic downscale to the LR input
            consistency = lr_consistency_loss(sr, lr, factor=self.cfg.model.scale)
            loss_g = loss_g + self.cfg.train.lr_consistency_weight * consistency
            extra["lr_consistency"] = float(consistency)
        if self.cfg.train.artifact_weight:  # pull SR to HR where G has just invented high-variance error
            with paddle.no_grad():
                sr_average = self.ema.network(lr)  # the EMA generator (eval mode): LDL's reference
            artifacts = artifact_loss(sr, hr, sr_average)
            loss_g = loss_g + self.cfg.train.artifact_weight * artifacts
            extra["artifacts"] = float(artifacts)
        if self.cfg.train.texture_weight:  # ask for HR's direction and amount of fine texture, not its pixels
            texture = texture_loss(sr, hr)
            loss_g = loss_g + self.cfg.train.texture_weight * texture
            extra["texture"] = float(texture)
        if self.cfg.train.texture_direction_weight:  # the way HR's fine texture runs, not how much of it
            direction = texture_direction_loss(sr, hr)
            loss_g = loss_g + self.cfg.train.texture_direction_weight * direction
            extra["direction"] = float(direction)
        return loss_g, extra

    def _d_step(self, hr, sr_detached) -> dict:
        """One D update on -[log D(HR) + log(1 - D(G(LR)))] (Eq. 2), then both learning-rate
        schedules advance. Returns D's loss and its mean probabilities on HR and on SR."""
        set_requires_grad(self.d_parameters, True)
        with self._mixed_precision():
            real_logits = self.d_train(hr)
            fake_logits = self.d_train(sr_detached)
            d_loss = relativistic_discriminator_loss if self.cfg.train.gan_loss == "relativistic" else discriminator_loss
            loss_d = d_loss(real_logits, fake_logits)  # Eq. 2, or its relativistic form (not in the paper)
        self._optimizer_step(loss_d, self.opt_d)
        self.scaler.update()  # once per train step: the loss scale follows both updates
        self.sched_g.step()
        self.sched_d.step()
        return {
            "loss_d": float(loss_d),
            "d_real": float(F.sigmoid(real_logits).mean()),  # D's mean probability on HR
            "d_fake": float(F.sigmoid(fake_logits).mean()),  # ... and on SR: both near 0.5 = balanced
        }

    def _mixed_precision(self):
        """Not in the paper: float16 autocast on a GPU when cfg.train.amp (a no-op otherwise)."""
        return paddle.amp.auto_cast(enable=self.use_amp)

    def _optimizer_step(self, loss, optimizer) -> None:
        """Backward and one optimizer step through the AMP grad scaler (plain backward/step without AMP)."""
        self.scaler.scale(loss).backward()
        self.scaler.step(optimizer)
        optimizer.clear_grad()

    # -- validation -------------------------------------------------------------------
    @property
    def released_generator(self):
        """The network this run validates, keeps as best_generator and releases: G, or the
        average of its weights when cfg.train.ema_decay is set."""
        return self.ema.network if self.ema is not None else self.generator

    def validate(self) -> dict:
        """The scores metrics.VALIDATION_METRICS names, by the paper's protocol (Y channel, a
        border of `scale` px, the mean over the images), and an image grid.

        PSNR/SSIM measure distortion; NIQE (lower = more natural) and the grid contrast (about
        1 for a photo, above 1 for a period-4 lattice) watch what phase 2 is for, the colour
        shift and speckle the cast and coloured noise it can invent."""
        if self.val_pairs is None:
            self.val_pairs = default_validation_pairs(self.cfg.data.val_dir, self.cfg.model.scale, self.cfg.data.val_max_images)
        upscale = generator_upscaler(self.released_generator)  # eval mode inside, train mode restored
        scale, scores = self.cfg.model.scale, []
        for i, (name, lr, hr) in enumerate(self.val_pairs):
            sr = upscale(lr)
            scores.append(score_pair(sr, hr, scale=scale, crop_border=scale, names=VALIDATION_METRICS))
            if i == 0:
                grid = save_grid(runs.grid_path(self.out_dir, self.step), lr, sr, hr, scale)
                self.logger.image("val/lr_bicubic_sr_hr", grid, self.step)
        return {"step": self.step, **{key: summary_score(key, [s[key] for s in scores]) for key in VALIDATION_METRICS}}

    def _validate_and_keep_best(self) -> dict:
        try:
            metrics = self.validate()
        except Exception:  # e.g. out of memory on a large image: the steps since the last checkpoint are kept
            logger.info(f"validation at step {self.step} failed; checkpoint {self.save()}")
            raise
        self.logger.log({"kind": "val", "time": time.time(), **metrics})
        if metrics["psnr"] > self.best_psnr:
            self.best_psnr = metrics["psnr"]
            ckpt.save_generator(self.released_generator, self.out_dir / runs.BEST, card={"step": self.step, "val": metrics})
        return metrics

    # -- the loop -------------------------------------------------------------------
    def fit(self, resume: bool | str = False, overwrite: bool = False, on_start=None) -> dict:
        """Train until cfg.train.steps (or max_minutes); returns the last validation metrics.

        Args:
            resume: True to continue from the newest readable checkpoint in out_dir (if any),
                or a checkpoint path (runs.run_start says what each means). An interruption
                (Ctrl-C, SIGTERM, max_minutes) saves a checkpoint first.
            overwrite: start afresh in an out_dir that holds another run, deleting its files.
            on_start: called with no arguments when training is about to begin: the run folder
                accepted and locked, the checkpoint, data and validation set read (the command
                line prints its "phase ... out ..." line there, so a refused folder or a bad
                input is one error line, not a run's header and then the error).

        The run folder belongs to this run (runs.RunFolder): it is locked while fit() runs, a
        fresh run refuses a folder holding another run's files unless `overwrite`, and a folder
        created by a run that fails before writing anything is removed again.
        """
        # Rank 0 alone writes, so it alone locks and checks the folder.
        with runs.open_run(self.out_dir, resume=resume, overwrite=overwrite, inputs=[self.cfg.train.init_generator],
                           writer=self.is_main, any_rank=ranks.any_rank, config=self.cfg.to_dict()) as start:
            return self._fit(start, on_start)

    def _fit(self, start: runs.RunStart, on_start=None) -> dict:
        train_cfg, data_cfg = self.cfg.train, self.cfg.data
        if start.resuming and not self._resume(start) and self.is_main:
            logger.info(f"--resume: no checkpoint in {self.out_dir}; starting from step 0")
        if self.images is None:
            self.images = load_training_images(data_cfg.train_dirs, data_cfg.hr_size)
        if self.val_pairs is None and self.is_main:  # validation data problems show now, not at the first validation
            self.val_pairs = default_validation_pairs(data_cfg.val_dir, self.cfg.model.scale, data_cfg.val_max_images)
        dataset = TrainCrops(self.images, hr_size=data_cfg.hr_size, scale=self.cfg.model.scale, augment=data_cfg.augment,
                             seed=train_cfg.seed)
        loader = train_loader(dataset, data_cfg.batch_size // self.world_size, self.step, train_cfg.steps, data_cfg.num_workers,
                              self.rank, self.world_size)
        if self.is_main:  # config.json, the card or lineage of what the run continues, the log trimmed
            vgg = getattr(getattr(self, "content_loss", None), "vgg", None)  # phase 2 with a VGG content loss
            source = train_cfg.init_generator
            runs.record_start(self.out_dir, start, self.cfg.to_dict(), step=self.step, paddle=paddle.__version__,
                              device=self.device, world_size=self.world_size, vgg=vgg.describe() if vgg is not None else None,
                              init_card=ckpt.card_and_log_paths(source) if source and str(source).endswith(".safetensors") else None)
        if self.step >= train_cfg.steps:  # --resume of a finished run: said, not a header and then silence
            if self.is_main:
                logger.info(f"{self.out_dir}: the run is complete at step {self.step:,} (--steps {train_cfg.steps:,}); "
                            "nothing to train (raise --steps to continue it)")
            return {}
        if on_start is not None:
            on_start()

        bar = tqdm(total=train_cfg.steps, initial=self.step, desc=train_cfg.phase, dynamic_ncols=True, disable=not self.progress)
        # SIGTERM (a scheduler, `kill`) stops like Ctrl-C but at a step boundary, with a checkpoint;
        # a second SIGTERM stops a step that never ends (srgan.interrupt).
        stop = StopOnSigterm(graceful=True, sigint=True)
        began, first_step = time.time(), self.step
        saved = (None, None)  # (step, path) of the loop's last checkpoint
        self.logger.start_window(self.step)
        metrics = {}
        with stop:
            try:
                for lr, hr in loader:
                    losses = self.train_step(lr, hr)
                    if ranks.any_rank(not all(math.isfinite(v) for v in losses.values())):
                        shown = ", ".join(f"{k} {v:.4g}" for k, v in losses.items())
                        raise TrainingDiverged(f"step {self.step + 1}: non-finite loss ({shown}); training diverged, "
                                               f"nothing of this step was saved{runs.newest_checkpoint_note(self.out_dir)}")
                    self.step += 1
                    bar.update(1)
                    bar.set_postfix({k: f"{v:.4g}" for k, v in losses.items() if k in ("loss", "loss_g", "loss_d")})
                    if self.step % train_cfg.log_every == 0 or self.step == train_cfg.steps:
                        self.logger.train(self.step, batch_size=data_cfg.batch_size, lr=self.opt_g.get_lr(), losses=losses)
                    validating = self.step % train_cfg.val_every == 0 or self.step == train_cfg.steps
                    saving = self.step % train_cfg.ckpt_every == 0 or self.step == train_cfg.steps
                    if validating and self.is_main:  # rank 0 only: it alone writes
                        metrics = self._validate_and_keep_best()
                        if self.progress:
                            bar.write(_validation_line(metrics))
                        elif self.report_lines:  # a log, not a terminal: one plain line per validation
                            pace = (time.time() - began) / max(1, self.step - first_step)
                            print(f"{_validation_line(metrics)} ({self.step:,}/{train_cfg.steps:,} steps, {pace:.2f} s/step)",
                                  file=sys.stderr, flush=True)
                    if saving:
                        saved = (self.step, self.save())
                    if validating or saving:  # the other ranks wait outside any collective (srgan.ranks)
                        ranks.wait_for_rank0(f"step {self.step}")
                    if train_cfg.max_minutes is not None and time.time() - began > train_cfg.max_minutes * 60:
                        stop.request()
                    if ranks.any_rank(stop.requested):
                        stop.request()
                        break
            except KeyboardInterrupt:  # Ctrl-C, or a second SIGTERM
                stop.request()
                self.interrupted = True
            finally:
                bar.close()
            # A signal on any rank (the first SIGTERM only sets stop.signalled) is an interruption;
            # max_minutes is a budget the user set, and the run ends normally.
            self.interrupted = ranks.any_rank(self.interrupted or stop.signalled)
            finished = self.step >= train_cfg.steps  # a SIGTERM during the last step: the run is complete, saved
            self.interrupted = self.interrupted and not finished
            # Still inside `stop`: SIGTERMs during the save (the launcher repeats its own, a
            # checkpoint of G and D takes a second or more) are the same request, not a kill.
            # A stop during a checkpoint step's validation or save came before that step's save
            # (the last step's too): saved says which step the loop's last save was, so only a
            # step saved already is skipped, and a step never trained is not saved.
            if (stop.requested or finished) and self.step > first_step:
                path = saved[1] if saved[0] == self.step else self.save()
                if stop.requested and not finished and self.is_main:
                    logger.info(f"stopped at step {self.step}; checkpoint {path}; continue with --resume")
        return metrics
