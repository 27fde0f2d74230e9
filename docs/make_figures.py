"""The README's before/after picture and headline table, made from the package and the model cards.

    python docs/make_figures.py                  # writes docs/before_after.png (refuses to replace it)
    python docs/make_figures.py --overwrite      # replace it, e.g. after new weights are shipped
    python docs/make_figures.py --table          # print the README's headline table from weights/*.json

The table is the model cards' scores (paper protocol, measured by `srgan release`), rounded;
tests/test_readme.py checks that the README shows exactly this table.

The photo is scikit-image's `chelsea` (CC0, by Stefan van der Walt), degraded as in the paper
(MATLAB bicubic x1/4, srgan.data.degraded_pair), upscaled by bicubic, the shipped SRResNet and
SRGAN, and shown next to the original in the paper's Fig. 2 layout (srgan.viz.comparison: the
most detailed window, each panel titled with the whole photo's PSNR / SSIM and NIQE). chelsea
is one of the six photos the shipped checkpoints were chosen on (not trained on), so it is a
picture of what the models do, not a test score; the scores are in the model cards.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent


def headline_table() -> str:
    """The README's results table: bicubic, SRResNet, SRGAN and HR on Set5 and Set14, from the cards."""
    import json

    from srgan.infer import shipped_weights

    cards = {name: json.loads(shipped_weights(name).with_suffix(".json").read_text())["scores"] for name in ("srresnet", "srgan")}
    sets = ("Set5", "Set14")

    def cell(scores: dict) -> str:
        return f"{scores['psnr']:.2f} / {scores['ssim_daala']:.4f} / {scores['niqe']:.2f}"

    rows = [("bicubic", [cell(cards["srresnet"][s]["bicubic"]) for s in sets]),
            ("SRResNet (`srresnet`, the default)", [cell(cards["srresnet"][s]["model"]) for s in sets]),
            ("SRGAN (`srgan`)", [cell(cards["srgan"][s]["model"]) for s in sets]),
            ("original (HR)", [f"– / – / {cards['srresnet'][s]['model']['niqe_hr']:.2f}" for s in sets])]
    lines = ["| x4 | Set5: PSNR [dB] / SSIM / NIQE | Set14: PSNR [dB] / SSIM / NIQE |", "|---|---|---|"]
    lines += [f"| {label} | {' | '.join(cells)} |" for label, cells in rows]
    return "\n".join(lines)


def before_after(out: Path, *, side: int = 96, panel_width: float = 2.2, dpi: int = 100) -> None:
    """Write the four-panel comparison (bicubic | SRResNet | SRGAN | original) to `out` as PNG.

    Args:
        out: the PNG file; written atomically.
        side: HR window side in pixels; each panel shows it enlarged (panel_width * dpi px wide).
        panel_width: panel width in inches.
        dpi: resolution of the saved figure.
    """
    import matplotlib

    matplotlib.use("Agg")  # a file, no window
    import matplotlib.pyplot as plt
    import skimage.data

    from srgan import viz
    from srgan.atomic import atomic_path
    from srgan.data import degraded_pair
    from srgan.infer import Upscaler

    lr, hr = degraded_pair(skimage.data.chelsea(), scale=4)
    # dygraph: no export to cache, and the picture does not depend on the machine's engine.
    networks = {label: Upscaler(weights=name, engine="dygraph", device="cpu", tile=0)
                for label, name in (("SRResNet", "srresnet"), ("SRGAN", "srgan"))}
    fig = viz.comparison([("chelsea", lr, hr)], networks, side=side, panel_width=panel_width, show=False)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DOCS / "before_after.png", help="PNG to write (default docs/before_after.png)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")
    parser.add_argument("--table", action="store_true", help="print the headline table instead (writes nothing)")
    args = parser.parse_args(argv)
    if args.table:
        print(headline_table())
        return 0
    if args.out.exists() and not args.overwrite:
        print(f"error: {args.out}: exists (pass --overwrite to replace it)", file=sys.stderr)
        return 2
    before_after(args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
