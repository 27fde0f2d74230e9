import json
from pathlib import Path

import numpy as np
import pytest

from srgan import viz

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def _old_release_search(hr, size):
    """The window search srgan.release.comparison_image had before it called viz.detailed_window."""
    gray = hr if hr.ndim == 2 else hr.mean(axis=2)
    energy = np.abs(np.diff(gray.astype(np.float32), axis=0))[:, :-1] + np.abs(np.diff(gray.astype(np.float32), axis=1))[:-1]
    best, top, left = -1.0, 0, 0
    for y in range(0, hr.shape[0] - size + 1, size // 4):
        for x in range(0, hr.shape[1] - size + 1, size // 4):
            e = float(energy[y : y + size - 1, x : x + size - 1].mean())
            if e > best:
                best, top, left = e, y, x
    return top, left


def test_detailed_window_finds_the_textured_patch():
    image = np.full((120, 160, 3), 128, np.uint8)
    image[64:96, 96:128] = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    top, left = viz.detailed_window(image, 32, stride=8)
    assert (top, left) == (64, 96)
    # the margin keeps the window off the border; the window fits the image
    top, left = viz.detailed_window(image, 32, stride=8, margin=8)
    assert 8 <= top <= 120 - 8 - 32 and 8 <= left <= 160 - 8 - 32
    assert viz.detailed_window(image[:20, :20], 64) == (0, 0)


@pytest.mark.parametrize("shape,size", [((96, 128, 3), 32), ((50, 70), 24), ((33, 47, 3), 96)])
def test_detailed_window_is_what_release_used_to_compute(shape, size):
    hr = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    size = min(size, *hr.shape[:2])
    assert viz.detailed_window(hr, size) == _old_release_search(hr, size)


def test_phase_pattern_finds_a_grid_and_ignores_content():
    rng = np.random.default_rng(0)
    content = rng.normal(0, 10, (64, 64))
    grid = np.tile([[2.0, -2.0], [-2.0, 2.0]], (32, 32))
    assert np.abs(viz.phase_pattern(content, 2)).max() < 1.0
    assert np.allclose(viz.phase_pattern(grid, 2), [[2, -2], [-2, 2]])
    both = viz.phase_pattern((content + grid)[:63, :61], 2)  # odd sizes: trimmed to whole periods
    assert np.abs(both - [[2, -2], [-2, 2]]).max() < 1.0 and viz.phase_pattern(content, 4).shape == (4, 4)


def test_table_is_markdown():
    t = viz.table(["method", "PSNR [dB]"], [["bicubic", "28.43"], ["SRResNet", "30.79"]], caption="Set5")
    assert t._repr_markdown_() == "*Set5*\n\n| method | PSNR [dB] |\n|---|---:|\n| bicubic | 28.43 |\n| SRResNet | 30.79 |"
    with pytest.raises(ValueError):
        viz.table(["a", "b"], [["only one cell"]])


def test_enlarge_and_from_tensor():
    a = np.arange(4, dtype=np.uint8).reshape(2, 2)
    assert viz.enlarge(a, 2).tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    chw = np.stack([np.full((2, 3), v, np.float32) for v in (-1.0, 0.0, 1.0)])
    img = viz.from_tensor(chw)
    assert img.shape == (2, 3, 3) and img[0, 0].tolist() == [0.0, 0.5, 1.0]


def test_image_grid_crops_lr_panels_to_the_same_window():
    hr = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    lr = hr[::4, ::4]
    fig = viz.image_row([("LR", lr), ("HR", hr)], crop=(16, 32, 16), show=False)
    lr_shown, hr_shown = (ax.images[0].get_array() for ax in fig.axes)
    assert hr_shown.shape == (16, 16, 3) and np.array_equal(hr_shown, hr[16:32, 32:48])
    assert lr_shown.shape == (16, 16, 3) and np.array_equal(lr_shown, viz.enlarge(lr[4:8, 8:12], 4))
    assert [ax.get_title() for ax in fig.axes] == ["LR", "HR"]


def test_image_grid_overview_and_inset():
    hr = np.random.default_rng(1).integers(0, 256, (48, 64), dtype=np.uint8)  # grayscale
    fig = viz.image_grid([[("a", hr), ("b", hr)], [("c", hr)]], crop=(8, 8, 16), overview=True, show=False)
    axes = fig.axes
    assert len(axes) == 6 and axes[0].get_title() == "a (whole)" and len(axes[0].patches) == 1
    assert axes[3].get_title() == "c (whole)" and not axes[5].images  # the short row's empty cell
    fig = viz.image_row([("a", hr)], inset=(8, 8, 16), show=False)
    main = fig.axes[0]
    assert main.images[0].get_array().shape == (48, 64) and len(main.patches) == 1
    inset = main.child_axes[0]
    assert inset.images[0].get_array().shape == (16, 16)
    with pytest.raises(ValueError):
        viz.image_row([("a", hr)], crop=(0, 0, 8), inset=(0, 0, 8), show=False)
    fig = viz.image_grid([[("a", hr)], [("b", hr)]], crop=(0, 0, 8), overview=True, row_titles=["x", "y"], show=False)
    assert [ax.get_title() for ax in fig.axes] == ["x", "a", "y", "b"]
    fig = viz.image_grid([[("a", hr)], [("b", hr)]], row_titles=["x", "y"], show=False)
    assert [ax.get_ylabel() for ax in fig.axes] == ["x", "y"]
    # one window per row
    fig = viz.image_grid([[("a", hr)], [("b", hr)]], crop=[(0, 0, 8), (40, 56, 8)], show=False)
    assert np.array_equal(fig.axes[1].images[0].get_array(), hr[40:48, 56:64])
    with pytest.raises(ValueError):
        viz.image_grid([[("a", hr)], [("b", hr)]], crop=[(0, 0, 8)], show=False)


def _log(segments=1):
    records = []
    for seg in range(segments):
        for step in range(1, 11):
            s = seg * 10 + step
            records.append({"segment": seg, "kind": "train", "step": s, "loss": 1.0 / s, "content": 0.1, "adversarial": 5.0,
                            "loss_d": 1.2, "d_real": 0.7, "d_fake": 0.3})
        records.append({"segment": seg, "kind": "val", "step": seg * 10 + 10, "psnr": 25.0 + seg, "ssim": 0.8})
    return records


def test_plot_training_log_marks_segments_and_labels_pixel_losses():
    segments = [{"from_step": 0, "steps": 10, "config": {"train": {"phase": "pretrain", "pixel_loss": "mse", "lr": 3e-4}}},
                {"from_step": 10, "steps": 10, "config": {"train": {"phase": "pretrain", "pixel_loss": "l1", "lr": 5e-4}}}]
    fig = viz.plot_training_log(_log(2), segments=segments, reference=24.0, show=False)
    loss_ax, psnr_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()][:2] == ["segment 1: MSE", "segment 2: L1"]
    labels = psnr_ax.get_legend_handles_labels()[1]
    assert "continued, fresh schedule: pixel_loss l1" in labels and "bicubic, same images" in labels
    assert viz.split_log(_log(2))[1][-1]["psnr"] == 26.0


def test_segment_change_says_how_a_segment_continued():
    """The shipped SRGAN's second segment resumed a checkpoint with a stronger adversarial term (same
    schedule): its line must not claim a fresh schedule; the SRResNet's continuation had one."""
    import json

    cards = {name: json.loads((Path(__file__).resolve().parents[1] / "weights" / f"{name}_x4.json").read_text())
             for name in ("srgan", "srresnet")}
    srgan_segments = cards["srgan"]["segments"]
    assert viz.segment_change(*srgan_segments[:2]) == "continued: adv_weight 0.003"
    assert viz.segment_change(*cards["srresnet"]["segments"][:2]) == "continued, fresh schedule: pixel_loss l1"
    # the lineage's switch to a spectrally normalised D (a new run from released weights) is named
    switch = next(i for i, s in enumerate(srgan_segments) if s["config"]["model"].get("d_norm") == "spectral")
    assert viz.segment_change(*srgan_segments[switch - 1 : switch + 1]).startswith("continued, fresh schedule: D spectral norm")


def test_gan_log_numbers_each_segment_start_and_says_what_changed_there():
    """One legend entry for six segment starts named only the first change (the reader saw
    "adv_weight 0.003" for the switch of D and the later weights)."""
    import json

    card = json.loads((Path(__file__).resolve().parents[1] / "weights" / "srgan_x4.json").read_text())
    starts = card["segments"][1:]
    fig = viz.plot_gan_log(_log(2), segments=card["segments"], show=False)
    labels = [label for label in fig.legends[0].get_texts()]
    marker_labels = [t.get_text() for t in labels if "(step " in t.get_text()]
    assert marker_labels == [f"{n} (step {s['from_step']:,}): " + viz.segment_change(p, s)
                             for n, (p, s) in enumerate(zip(card["segments"], starts), start=1)]
    assert len(set(marker_labels)) == len(starts) > 1
    numbers = [t.get_text() for t in fig.axes[0].texts]
    assert numbers == [str(n) for n in range(1, len(starts) + 1)]
    same = {"config": {"train": {"lr": 1e-4, "adv_weight": 1e-3}}}
    assert viz.segment_change(same, same) == "continued"


def test_plot_validation_and_gan_log():
    fig = viz.plot_validation({"a": _log(), "b": _log(2)}, reference=24.0, show=False)
    assert fig.axes[0].get_legend_handles_labels()[1] == ["a", "b", "bicubic, same images"]
    records = [dict(r, niqe=6.0 - r["step"] / 10) if r["kind"] == "val" else r for r in _log(2)]
    # several scores: one panel each, every run's curve in each, a score a run did not log left out of its panel
    fig = viz.plot_validation({"a": _log(), "b": records}, key=["psnr", "niqe", "grid_contrast"], show=False)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3 and visible[1].get_ylabel() == "NIQE"  # the title says what was validated
    one = viz.plot_validation({"a": _log()}, show=False)
    assert one.axes[0].get_ylabel() == "validation PSNR [dB]"  # a single panel keeps the word
    assert [len(ax.get_lines()) for ax in visible] == [2, 2, 2]
    assert list(visible[1].get_lines()[1].get_ydata()) == [5.0, 4.0] and len(visible[1].get_lines()[0].get_xdata()) == 0
    fig = viz.plot_gan_log(records, segments=[{"from_step": 0}, {"from_step": 10}], show=False)
    assert len(fig.axes) == 6
    psnr_ax, niqe_ax = fig.axes[4], fig.axes[5]  # PSNR and NIQE on axes of their own: no line hides the other
    assert list(psnr_ax.get_lines()[0].get_ydata()) == [25.0, 26.0] and list(niqe_ax.get_lines()[0].get_ydata()) == [5.0, 4.0]
    assert fig.axes[3].get_yscale() == "logit"  # a saturated D's outputs near 1e-4 and near 1 stay visible
    low, high = fig.axes[3].get_ylim()
    d = [(r["d_real"], r["d_fake"]) for r in _log(2) if r["kind"] == "train"]
    assert low < min(map(min, d)) and high > max(map(max, d)) and high < 1
    # D in the game (0.3 and 0.7 here): ticks between 0.01 and 0.99 to read it by, not 0.5 alone (reader s23)
    assert [t.get_text() for t in fig.axes[3].get_yticklabels()] == ["0.01", "0.1", "0.5", "0.9", "0.99"]
    # Readable on the page: the book's 676 px column shrinks a wider figure, and the titles' size as shown
    # (points x the shrink) stays at least 7.5 pt (10 px); before, 13-pt titles on a 12-inch figure came out at 7.3.
    shrink = min(1.0, 676 / (fig.get_figwidth() * 100))
    assert min(ax.title.get_fontsize() for ax in fig.axes) * shrink >= 7.5


def test_log_figures_name_their_curves_under_the_panels_not_over_them():
    """A legend inside a panel covered D's curves (chapter 6) and loss curves: every log figure has
    one legend, under its panels, naming each curve once (the segment marker drawn in every panel too)."""
    segments = [{"from_step": 0, "config": {"train": {"adv_weight": 1e-3}}},
                {"from_step": 10, "config": {"train": {"adv_weight": 3e-3}}}]
    records = [dict(r, niqe=6.0) if r["kind"] == "val" else r for r in _log(2)]
    figures = {"gan": viz.plot_gan_log(records, segments=segments, show=False),
               "training": viz.plot_training_log(_log(2), reference=24.0, segments=segments, show=False),
               "validation": viz.plot_validation({"a run with a long name, the one above": _log(), "b": _log(2)},
                                                 key=["psnr", "ssim"], reference=24.0, show=False)}
    for name, fig in figures.items():
        assert all(ax.get_legend() is None for ax in fig.axes), name
        assert len(fig.legends) == 1, name
        labels = [t.get_text() for t in fig.legends[0].get_texts()]
        assert len(labels) == len(set(labels)), name
        fig.canvas.draw()  # under every panel, inside the figure
        box = fig.legends[0].get_window_extent()
        assert box.y1 <= min(ax.get_window_extent().y0 for ax in fig.axes if ax.get_visible()) and box.x0 >= 0, name
        assert box.x1 <= fig.bbox.x1, name
    assert [t.get_text() for t in figures["gan"].legends[0].get_texts()] == ["D(HR)", "D(G(LR))", "continued: adv_weight 0.003"]
    assert figures["validation"].legends[0]._ncols == 1  # the long label: one column at the 6.8 in column width, two would not fit


def test_validation_grids_reads_the_trainers_images_and_log(tmp_path):
    from srgan.image_io import save_image
    from srgan.train import save_grid

    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    for step, value in ((5, 20.0), (10, 21.0), (15, 22.5)):
        save_grid(tmp_path / "images" / f"val_{step:08d}.png", hr[::4, ::4], hr, hr, scale=4)
    (tmp_path / "log.jsonl").write_text("".join(json.dumps({"kind": "val", "step": s, "psnr": p}) + "\n"
                                                for s, p in ((5, 20.0), (10, 21.0), (15, 22.5))))
    fig = viz.validation_grids(tmp_path, max_rows=2, show=False)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 8 and titles[:2] == ["LR (nearest)", "bicubic"]
    assert titles[2] == "generator\nstep 5, 20.00 dB" and titles[4:] == ["", "", "step 15, 22.50 dB", ""]
    assert fig.axes[3].images[0].get_array().shape == (32, 32, 3)
    save_image(tmp_path / "images" / "val_00000020.png", np.zeros((8, 32, 3), np.uint8))  # no log record: no score
    fig = viz.validation_grids(tmp_path, max_rows=1, show=False)
    assert [ax.get_title() for ax in fig.axes][2] == "generator\nstep 20"
    # step 0 (the starting generator) is not in the log: its score comes from the trainer's start_scores
    save_grid(tmp_path / "images" / f"val_{0:08d}.png", hr[::4, ::4], hr, hr, scale=4)
    fig = viz.validation_grids(tmp_path, max_rows=2, show=False, start_scores={"psnr": 33.23})
    assert [ax.get_title() for ax in fig.axes][2] == "generator\nstep 0, 33.23 dB"
    with pytest.raises(FileNotFoundError):
        viz.validation_grids(tmp_path / "nothing", show=False)


def test_comparison_titles_scores_of_each_column(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from skimage import data

    from srgan.imresize import imresize
    from srgan.viz import comparison

    hr = data.astronaut()[:128, :128]
    lr = imresize(hr, scale=0.25)
    fig = comparison([("astronaut.png", lr, hr)], {"bicubic again": lambda x: imresize(x, scale=4)}, side=48, show=False)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 3 and titles[0].startswith("bicubic") and titles[-1].startswith("HR")
    assert titles[0].split("\n")[1] == titles[1].split("\n")[1]  # same upscaler, same PSNR / SSIM
    assert "dB" in titles[0] and "NIQE" in titles[0] and "dB" not in titles[-1] and "NIQE" in titles[-1]


def test_a_zoomed_comparison_leaves_no_blank_cell_hr_ends_every_row_instead():
    """Chapter 7: bicubic, three networks and HR in 3 columns left a blank cell beside HR; HR now ends
    both rows. A layout that fills its rows anyway is left as it was."""
    import matplotlib

    matplotlib.use("Agg")
    from skimage import data

    from srgan.imresize import imresize

    hr = data.astronaut()[:128, :128]
    pair, up = ("astronaut.png", imresize(hr, scale=0.25), hr), (lambda x: imresize(x, scale=4))

    def layout(networks, columns):  # titles' first words, line by line
        fig = viz.comparison([pair], {n: up for n in networks}, side=32, zoom=1, columns=columns, show=False)[0]
        axes = sorted(fig.axes, key=lambda ax: (-round(ax.get_position().y0, 3), ax.get_position().x0))
        names = [ax.get_title().split("\n")[0] for ax in axes]
        return [names[i:i + columns] for i in range(0, len(names), columns)]

    assert layout(["a", "b", "c"], 3) == [["bicubic", "a", "HR"], ["b", "c", "HR"]]
    assert layout(["a", "b"], 2) == [["bicubic", "a"], ["b", "HR"]]  # full rows: unchanged
    assert layout(["a"], 2) == [["bicubic", "HR"], ["a", "HR"]]
    assert layout(["a", "b"], 4) == [["bicubic", "a", "b", "HR"]]
    assert layout(["a", "b", "c", "d"], 4) == [["bicubic", "a", "b", "c"], ["d", "HR"]]  # 3 + HR per row would not fill


def test_perception_plane_caps_an_outlier_and_colours_the_dial_instead_of_labelling_it():
    panel = {"points": [{"label": "SRResNet", "psnr": 30.8, "niqe": 8.2}, {"label": "SRGAN", "psnr": 29.6, "niqe": 5.4},
                        {"label": "VGG22", "psnr": 29.0, "niqe": 15.8, "marker": "^"}],
             "dial": [(0.0, 30.8, 8.2), (0.5, 30.4, 7.0), (1.0, 29.6, 5.4)], "hr_niqe": 5.44}
    fig = viz.plot_perception_plane({"Set5": panel, "Set14": panel}, niqe_cap=9.0, show=False)
    ax = fig.axes[0]
    assert ax.get_ylim()[1] < 10  # the outlier does not stretch the axis ...
    assert any(t.get_text() == "↑ 15.8" for t in ax.texts)  # ... it is drawn at the cap with its value
    assert ax.get_legend() is None and len(fig.legends) == 1  # one legend, under the panels, covering no point
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["SRResNet", "SRGAN", "VGG22", "HR photos' NIQE"]
    assert not any("α" in t.get_text() for t in ax.texts)  # no per-point labels to overlap
    assert any(a.get_label() == "<colorbar>" for a in fig.axes)


def test_source_listings_fit_the_column_and_stay_the_same_code():
    """Reader s22: viz.source's long lines wrapped at the book's column, so a trailing `# l_X`
    started a line of its own at column 0 and docstring lines broke mid-sentence. fit_source
    moves such comments above their line and re-fills long docstring paragraphs: the code is the
    same (its syntax tree, docstrings compared word by word), and no comment or docstring line is
    wider than the column."""
    import ast
    import inspect

    from srgan.losses import lattice_energy
    from srgan.train import Trainer
    from srgan.viz import SOURCE_COLUMNS, fit_source

    def normalised(tree_text):
        tree = ast.parse(tree_text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                node.value = " ".join(node.value.split())
        return ast.dump(tree)

    def comment_words(text):
        import io
        import textwrap
        import tokenize

        tokens = tokenize.generate_tokens(io.StringIO(textwrap.dedent(text)).readline)
        return " ".join(t.string.lstrip("#").strip() for t in tokens if t.type == tokenize.COMMENT).split()

    for function in (Trainer.gan_step, lattice_energy, Trainer._add_g_penalties):
        original = inspect.getsource(function)
        fitted = fit_source(original)
        assert normalised(fitted) == normalised(__import__("textwrap").dedent(original))
        assert comment_words(fitted) == comment_words(original)  # every comment kept, in order
        for line in fitted.splitlines():
            stripped = line.strip()
            if stripped.startswith("#") or (stripped and not any(c in stripped for c in "=()[]")):
                assert len(line) <= SOURCE_COLUMNS, line
    assert "\n        # l_X\n" in "\n" + fit_source(inspect.getsource(Trainer.gan_step)) + "\n"


def test_source_of_a_class_can_show_its_architecture_without_its_plumbing():
    """Reader s23: the Generator listing was 88 lines, most of them config plumbing (CONFIG_FIELDS,
    from_config, receptive_radius). `members` keeps the class line, the docstring and the named
    methods, names the rest in one comment, and stays valid Python."""
    import ast

    from srgan.models import Generator

    text = str(viz.source(Generator, members=["__init__", "forward"]))
    code = text.split("\n", 1)[1].rsplit("\n````", 1)[0]
    tree = ast.parse(code).body[0]
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] == ["__init__", "forward"]
    assert code.startswith("class Generator(nn.Layer):\n    \"\"\"SRResNet") and "# ... not shown: CONFIG_FIELDS, from_config" in code
    assert len(code.splitlines()) < len(str(viz.source(Generator)).splitlines())
    with pytest.raises(ValueError, match="has no member fly"):
        viz.source(Generator, members=["fly"])
