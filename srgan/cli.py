"""Command line interface: `srgan <command> --help` (also `python -m srgan`).

Each command maps its flags onto the package's functions and config dataclasses; the
work itself lives in the modules (evaluate.py, train.py, infer.py, ...). Each command has
an `add_<name>_parser(subparsers)` that declares its flags and a `cmd_<name>(args)` that
runs it.
"""

from __future__ import annotations

import argparse
import sys


# --- srgan info ------------------------------------------------------------------------
def add_info_parser(sub):
    p = sub.add_parser("info", help="print versions, device and parameter counts of the paper's networks")
    p.add_argument("--blocks", type=int, default=16, help="residual blocks B (paper: 16)")
    p.add_argument("--channels", type=int, default=64, help="feature maps (paper: 64)")
    p.add_argument("--scale", type=int, default=4, choices=[2, 4, 8])
    p.set_defaults(func=cmd_info)


def cmd_info(args) -> int:
    import paddle

    from .device import pick_device
    from .models import Discriminator, Generator, count_parameters

    g = Generator(scale=args.scale, num_blocks=args.blocks, channels=args.channels)
    d = Discriminator(channels=args.channels)
    print(f"paddle {paddle.__version__}, device {pick_device()}")
    print(f"generator (SRResNet, B={args.blocks}, {args.channels} ch, x{args.scale}): {count_parameters(g):,} parameters")
    print(f"discriminator (96x96 input): {count_parameters(d):,} parameters")
    return 0


# --- srgan evaluate (owned by evaluate.py's author) -------------------------------------
def add_evaluate_parser(sub):
    p = sub.add_parser("evaluate", help="PSNR/SSIM on a benchmark folder with the paper's protocol")
    p.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args) -> int:
    raise NotImplementedError("srgan evaluate is not written yet")


# --- srgan train (owned by train.py's author) -------------------------------------------
def add_train_parser(sub):
    p = sub.add_parser("train", help="train SRResNet (phase 1) or SRGAN (phase 2)")
    p.set_defaults(func=cmd_train)


def cmd_train(args) -> int:
    raise NotImplementedError("srgan train is not written yet")


# --- srgan upscale / export (owned by infer.py's author) --------------------------------
def add_upscale_parser(sub):
    p = sub.add_parser("upscale", help="upscale images or folders of images (tiled)")
    p.set_defaults(func=cmd_upscale)


def cmd_upscale(args) -> int:
    raise NotImplementedError("srgan upscale is not written yet")


def add_export_parser(sub):
    p = sub.add_parser("export", help="export the generator for Paddle Inference")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    raise NotImplementedError("srgan export is not written yet")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srgan", description="SRGAN / SRResNet x4 super-resolution in PaddlePaddle")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (add_info_parser, add_evaluate_parser, add_train_parser, add_upscale_parser, add_export_parser):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
