import json

import numpy as np
import pytest
from PIL import Image

from srgan.checkpoint import load_generator
from srgan.cli import main
from srgan.config import quick
from srgan.evaluate import bicubic_upscaler, evaluate_benchmark, generator_upscaler
from srgan.imresize import imresize
from srgan.release import departures_from_paper
from srgan.train import Trainer


def _benchmark(folder, sizes=((32, 32),)):
    for i, size in enumerate(sizes):
        hr = np.random.default_rng(i).integers(0, 256, (*size, 3), dtype=np.uint8)
        for sub, img in (("HR", hr), ("LR_bicubic_x4", imresize(hr, scale=0.25))):
            (folder / sub).mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(folder / sub / f"{'abcdefgh'[i]}.png")
    return folder


def test_release_writes_weights_card_and_log_with_measured_scores(tmp_path):
    cfg = quick("pretrain")
    cfg.model.num_blocks, cfg.model.channels, cfg.model.global_skip = 1, 8, True
    cfg.data.hr_size, cfg.data.batch_size = 16, 2
    cfg.train.steps, cfg.train.log_every, cfg.train.val_every, cfg.train.ckpt_every = 4, 2, 2, 2
    cfg.train.out_dir, cfg.train.visualdl = str(tmp_path / "run"), False
    bench = _benchmark(tmp_path / "bench")
    cfg.data.val_dir = str(bench)
    Trainer(cfg, images=[("x", np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))], progress=False).fit()

    assert main(["release", cfg.train.out_dir, "--out", str(tmp_path / "w" / "m.safetensors"), "--data", str(bench)]) == 0
    card = json.loads((tmp_path / "w" / "m.json").read_text())
    assert card["step"] == 4 and card["batch_size"] == 2
    assert [p["step"] for p in card["learning_curve"]] == [2, 4]
    assert any("global bicubic skip" in d for d in card["departures_from_paper"])
    scores = card["scores"]["bench"]
    assert (tmp_path / "w" / "m_log.jsonl").read_text().count("\n") >= 3
    g = load_generator(tmp_path / "w" / "m.safetensors")
    assert g.global_skip and not g.training
    # the card's scores are what evaluate_benchmark() measures on the released weights
    assert scores["bicubic"] == evaluate_benchmark(bicubic_upscaler(4), bench)["mean"]
    assert scores["model"] == evaluate_benchmark(generator_upscaler(g), bench)["mean"]


def test_paper_config_has_no_departures_but_data():
    from srgan.config import paper

    assert departures_from_paper(paper("pretrain")) == ["training data: scikit-image photos (paper: 350k ImageNet images)"]
    gan = paper("gan")
    gan.train.content_loss = "mse"
    assert any("SRGAN-MSE" in d for d in departures_from_paper(gan))


def test_the_card_says_the_selection_photos_were_left_out_of_bsds200():
    """Reader s20 #16: the card said "training data: T91, BSDS200" while the trainer leaves the
    selection set's 25 BSDS200 photos out (srgan.data.load_training_images)."""
    from srgan.config import paper

    cfg = paper("pretrain")
    cfg.data.train_dirs = ["/data/T91", "/data/BSDS200"]
    assert departures_from_paper(cfg)[-1] == ("training data: T91, BSDS200 less the selection set's 25 photos "
                                              "(paper: 350k ImageNet images)")
    cfg.data.train_dirs = ["/data/DIV2K"]
    assert departures_from_paper(cfg)[-1] == "training data: DIV2K (paper: 350k ImageNet images)"


def test_phase_2_options_not_in_the_paper_are_declared():
    """Every phase-2 option that changes the paper's loss or what D/VGG see shows in the card."""
    from srgan.config import paper

    gan = paper("gan")
    gan.train.lattice_weight, gan.train.gan_pixel_weight = 1000.0, 1.0
    gan.train.d_warmup_steps, gan.train.lowfreq_weight, gan.train.d_renew_every = 100, 2.0, 800
    declared = " | ".join(departures_from_paper(gan))
    for words in ("1000 x lattice penalty", "+ 1 x pixel mse", "first 100 steps train a new discriminator",
                  "+ 2 x low-frequency loss", "every 800 steps the discriminator is replaced by a new one, which trains "
                  "alone for 100 steps"):
        assert words in declared, words
    assert not any("lattice" in d for d in departures_from_paper(paper("gan")))
    multi = paper("gan")
    multi.train.content_loss, multi.train.vgg_before_activation = "vgg-multi", True
    declared = departures_from_paper(multi)  # one line for the loss; "before the ReLU" is part of it
    assert [d for d in declared if "content loss" in d or "ReLU" in d] == [
        "content loss: Real-ESRGAN's perceptual loss, L1 between the features before the ReLU of phi_1,2, phi_2,2, "
        "phi_3,4, phi_4,4 and phi_5,4 weighted 0.1, 0.1, 1, 1, 1, scaled to the strength of the paper's loss (paper: "
        "MSE of phi_5,4)"]


def test_departures_of_a_lineage_are_scoped_to_the_steps_they_held_for():
    """A card must not claim a departure of its last segment for the whole chain: the shipped
    SRGAN's first 7,900 steps had the paper's BN discriminator, the rest a spectral one."""
    from srgan.config import paper
    from srgan.release import lineage_departures

    def segment(start, steps, d_norm="batch", warmup=0, lowfreq=0.0):
        cfg = paper("gan")
        cfg.data.batch_size = 8  # shared by every segment
        cfg.model.d_norm, cfg.train.d_warmup_steps, cfg.train.lowfreq_weight = d_norm, warmup, lowfreq
        return {"from_step": start, "steps": steps, "config": cfg.to_dict()}, cfg

    (a, _), (b, _), (c, last) = segment(0, 300, lowfreq=10), segment(300, 200, "spectral", 100), segment(500, 400, "spectral", 100)
    out = lineage_departures([a, b, c], last, total_steps=900)
    spectral = [d for d in out if "spectral normalisation" in d]
    assert len(spectral) == 1 and spectral[0].startswith("steps 300-900: discriminator: spectral")
    assert "batch of 8 (paper: 16)" in out and "900 steps (paper: 200,000)" in out  # all segments: plain
    warmups = [d for d in out if "first 100 steps" in d]  # happened at each segment's start: not merged
    assert [d.split(":")[0] for d in warmups] == ["steps 300-500", "steps 500-900"]
    assert [d for d in out if "low-frequency" in d][0].startswith("steps 0-300: + 10 x low-frequency")  # dropped later


def test_departures_compare_with_the_paper_config_alone(monkeypatch):
    """The paper's values are read from config.paper(phase), written as the paper writes them."""
    import srgan.release
    from srgan.config import paper

    gan = paper("gan")
    gan.train.lr, gan.train.adv_weight = 2e-4, 1e-2
    assert "Adam lr 0.0002, milestones [100000] (paper: 1e-4, x0.1 after 1e5 steps)" in departures_from_paper(gan)
    assert "adversarial weight 0.01 (paper: 1e-3)" in departures_from_paper(gan)

    def other_paper(phase):  # were the paper's batch 8, a batch of 16 would be the departure
        cfg = paper(phase)
        cfg.data.batch_size = 8
        return cfg

    monkeypatch.setattr(srgan.release, "paper", other_paper)
    assert "batch of 16 (paper: 8)" in departures_from_paper(paper("pretrain"))


def test_compare_saves_side_by_side_crops(tmp_path):
    from srgan.checkpoint import save_generator
    from srgan.image_io import read_image
    from srgan.models import Generator

    bench = _benchmark(tmp_path / "bench")
    save_generator(Generator(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    out = tmp_path / "cmp.png"
    assert main(["compare", "--weights", f"A={tmp_path / 'g.safetensors'}", "--data", str(bench), "--out", str(out)]) == 0
    grid = read_image(out)
    # one row: bicubic | A | HR crops of 32 px (capped by the image), 4 px gaps, shown at x2, under a
    # 28 px band of column titles and right of a band with the image's name
    height, width = 2 * 32, 2 * (3 * 32 + 2 * 4)
    assert grid.shape[0] == 28 + height and grid.shape[1] > width
    left = grid.shape[1] - width
    titles, names = grid[:28, left:], grid[28:, :left]
    for column in range(3):  # a title (dark text) over each column of crops
        assert (titles[:, column * (64 + 8) : column * (64 + 8) + 64] < 128).any()
    assert (names < 128).any() and (grid[:28, :left] == 255).all()  # the row's name; a white corner


def test_compare_pads_rows_of_images_smaller_than_the_crop(tmp_path):
    from srgan.checkpoint import save_generator
    from srgan.image_io import read_image
    from srgan.models import Generator

    bench = _benchmark(tmp_path / "bench", sizes=((32, 32), (16, 24)))  # second image: 16 px crops
    save_generator(Generator(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    out = tmp_path / "cmp.png"
    assert main(["compare", "--weights", f"A={tmp_path / 'g.safetensors'}", "--data", str(bench), "--out", str(out)]) == 0
    grid = read_image(out)
    # rows of 32 and 16 px with a 4 px gap, each as wide as the first row, shown at x2 (below the
    # 28 px band of column titles, right of the band of names)
    assert grid.shape[0] == 28 + 2 * (32 + 4 + 16)
    grid = grid[28:, grid.shape[1] - 2 * (3 * 32 + 2 * 4) :]
    narrow = grid[2 * 36 :, 2 * (3 * 16 + 2 * 4) :]  # right of the second row's crops: white padding
    assert narrow.size and (narrow == 255).all()


def test_release_of_a_continued_run_reports_the_whole_chain(tmp_path):
    """Phase 1 continued from released weights (--init-generator), then released over the same
    file: the card counts both runs' steps and hours, and the log and curve continue."""
    bench = _benchmark(tmp_path / "bench")
    weights = tmp_path / "w" / "m.safetensors"
    images = [("x", np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))]

    def run(name, steps, lr, init=None):
        cfg = quick("pretrain")
        cfg.model.num_blocks, cfg.model.channels = 1, 8
        cfg.data.hr_size, cfg.data.batch_size, cfg.data.val_dir = 16, 2, str(bench)
        cfg.train.steps, cfg.train.lr, cfg.train.init_generator = steps, lr, init
        cfg.train.log_every, cfg.train.val_every, cfg.train.ckpt_every = 2, 2, 2
        cfg.train.out_dir, cfg.train.visualdl = str(tmp_path / name), False
        Trainer(cfg, images=images, progress=False).fit()
        again = ["--overwrite"] if weights.exists() else []  # the second release replaces the first (issue 20: asked for)
        assert main(["release", cfg.train.out_dir, "--out", str(weights), "--data", str(bench), *again]) == 0
        return json.loads(weights.with_suffix(".json").read_text())

    first = run("a", steps=4, lr=2e-4)
    second = run("b", steps=6, lr=1e-4, init=str(weights))
    assert json.loads((tmp_path / "b" / "init_card.json").read_text())["step"] == 4  # the card it started from
    assert second["step"] == 10
    assert [(s["from_step"], s["steps"]) for s in second["segments"]] == [(0, 4), (4, 6)]
    assert second["training_hours"] == round(first["training_hours"] + second["segments"][1]["training_hours"], 3)
    assert [p["step"] for p in second["learning_curve"]] == [2, 4, 6, 8, 10]
    assert second["learning_curve"][:2] == first["learning_curve"]
    log = [json.loads(line) for line in weights.with_name("m_log.jsonl").read_text().splitlines()]
    train_steps = [r["step"] for r in log if r["kind"] == "train"]
    assert train_steps == sorted(train_steps) and train_steps[-1] == 10
    assert {r["segment"] for r in log} == {0, 1}
    assert "10 steps (paper: 1,000,000)" in second["departures_from_paper"]
    assert "steps 0-4: Adam lr 0.0002, milestones [] (paper: 1e-4 constant)" in second["departures_from_paper"]

    # releasing again (e.g. a later checkpoint) still counts the first run once
    assert main(["release", str(tmp_path / "b"), "--out", str(weights), "--data", str(bench), "--overwrite"]) == 0
    assert json.loads(weights.with_suffix(".json").read_text())["step"] == 10


def test_a_run_continuing_a_network_interpolation_says_so_in_every_later_card(tmp_path, capsys):
    """Hostile s23 #1: weights made by `srgan interpolate` carry the END's card (steps, segments); a run
    continued from them (--init-generator), and a run continuing that run's checkpoint, were released
    with the END's history and no word of the blend: alpha 0 (the START's weights exactly) read as
    a GAN trained for all the END's steps. Each later card keeps the interpolation record and says it."""
    from srgan.checkpoint import build_generator, save_generator
    from srgan.config import ModelConfig

    import paddle

    bench = _benchmark(tmp_path / "bench")
    images = [("x", np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))]
    ends = []
    for seed, name in ((1, "start"), (2, "end")):
        paddle.seed(seed)
        path = tmp_path / f"{name}.safetensors"
        save_generator(build_generator(ModelConfig(num_blocks=1, channels=8, global_skip=True)), path,
                       card={"name": name, "phase": "pretrain", "step": 7, "segments": [
                           {"from_step": 0, "steps": 7, "training_hours": 0.1, "config": {}}]})
        ends.append(path)
    mix = tmp_path / "mix.safetensors"
    assert main(["interpolate", *map(str, ends), "--alpha", "0", "--out", str(mix), "--data", str(bench)]) == 0

    def run(name, **train):
        cfg = quick("pretrain")
        cfg.model.num_blocks, cfg.model.channels, cfg.model.global_skip = 1, 8, True
        cfg.data.hr_size, cfg.data.batch_size, cfg.data.val_dir = 16, 2, str(bench)
        cfg.train.steps, cfg.train.log_every, cfg.train.val_every, cfg.train.ckpt_every = 2, 1, 2, 2
        cfg.train.out_dir, cfg.train.visualdl = str(tmp_path / name), False
        for key, value in train.items():
            setattr(cfg.train, key, value)
        Trainer(cfg, images=images, progress=False).fit(resume=train.get("resume", False))

    run("a", init_generator=str(mix))
    run("b", steps=4, resume=str(tmp_path / "a" / "ckpt_00000002.ckpt"))
    for name in ("a", "b"):
        out = tmp_path / f"{name}.safetensors"
        assert main(["release", str(tmp_path / name), "--out", str(out), "--data", str(bench)]) == 0
        card = json.loads(out.with_suffix(".json").read_text())
        assert card["started_from_interpolation"]["alpha"] == 0.0
        assert card["departures_from_paper"][0] == ("the training continued a network interpolation, not a trained "
                                                    "generator: 1 x start.safetensors + 0 x end.safetensors (ESRGAN "
                                                    "Sec. 3.4); the steps before step 7 are those of end.safetensors's "
                                                    "training")
        assert "Started from a network interpolation: 1 x start.safetensors + 0 x end.safetensors" in capsys.readouterr().out


def test_release_of_a_run_continuing_another_runs_checkpoint_reports_the_whole_chain(tmp_path):
    """Run b continues run a's step-4 checkpoint with another learning rate (--resume A/ckpt),
    run c continues b's step-6 checkpoint: c's card counts a's 4 steps, b's 2 and its own 2,
    with each segment's config, hours and log, and the steps continue the checkpoints' counter."""
    bench = _benchmark(tmp_path / "bench")
    images = [("x", np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))]

    def run(name, steps, lr, resume=False):
        cfg = quick("pretrain")
        cfg.model.num_blocks, cfg.model.channels = 1, 8
        cfg.data.hr_size, cfg.data.batch_size, cfg.data.val_dir = 16, 2, str(bench)
        cfg.train.steps, cfg.train.lr = steps, lr
        cfg.train.log_every, cfg.train.val_every, cfg.train.ckpt_every, cfg.train.keep_last = 2, 2, 2, 5
        cfg.train.out_dir, cfg.train.visualdl = str(tmp_path / name), False
        Trainer(cfg, images=images, progress=False).fit(resume=resume)

    run("a", steps=6, lr=2e-4)  # a goes on past the checkpoint b continues: steps 5-6 are not b's
    run("b", steps=8, lr=1e-4, resume=str(tmp_path / "a" / "ckpt_00000004.ckpt"))
    run("c", steps=10, lr=5e-5, resume=str(tmp_path / "b" / "ckpt_00000006.ckpt"))
    init = json.loads((tmp_path / "c" / "init_card.json").read_text())
    assert init["continued_checkpoint"].endswith("ckpt_00000006.ckpt") and init["step"] == 6

    weights = tmp_path / "w" / "m.safetensors"
    assert main(["release", str(tmp_path / "c"), "--out", str(weights), "--data", str(bench),
                 "--score-checkpoints", str(bench)]) == 0
    card = json.loads(weights.with_suffix(".json").read_text())
    assert card["step"] == 10
    assert [(s["from_step"], s["steps"], s["config"]["train"]["lr"]) for s in card["segments"]] == [(0, 4, 2e-4), (4, 2, 1e-4), (6, 4, 5e-5)]
    assert card["training_hours"] == round(sum(s["training_hours"] for s in card["segments"]), 3)
    assert [p["step"] for p in card["learning_curve"]] == [2, 4, 6, 8, 10]  # a's step 6 is not in the chain
    log = [json.loads(line) for line in weights.with_name("m_log.jsonl").read_text().splitlines()]
    assert [(r["step"], r["segment"]) for r in log if r["kind"] == "train"] == [(2, 0), (4, 0), (6, 1), (8, 2), (10, 2)]
    history = card["checkpoint_scores"]
    assert history["start"] is not None  # b's step-6 checkpoint, where c started
    assert [row["step"] for row in history["scores"]] == [8, 10]  # the checkpoints c's own folder kept


def test_release_scores_every_kept_checkpoint(tmp_path):
    """--score-checkpoints: the card's checkpoint_scores hold one row per kept checkpoint, each
    what evaluate_benchmark() measures on that checkpoint's generator."""
    from srgan.checkpoint import build_generator, load_checkpoint, load_state_dict_checked
    from srgan.config import Config
    from srgan.runs import checkpoints

    cfg = quick("pretrain")
    cfg.model.num_blocks, cfg.model.channels = 1, 8
    cfg.data.hr_size, cfg.data.batch_size = 16, 2
    cfg.train.steps, cfg.train.log_every, cfg.train.val_every, cfg.train.ckpt_every, cfg.train.keep_last = 4, 2, 2, 2, 5
    cfg.train.out_dir, cfg.train.visualdl = str(tmp_path / "run"), False
    bench = _benchmark(tmp_path / "bench", sizes=((128, 128),))  # big enough for NIQE and the grid
    cfg.data.val_dir = str(bench)
    Trainer(cfg, images=[("x", np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))], progress=False).fit()

    out = tmp_path / "w" / "m.safetensors"
    assert main(["release", cfg.train.out_dir, "--out", str(out), "--data", str(bench), "--score-checkpoints", str(bench)]) == 0
    history = json.loads(out.with_suffix(".json").read_text())["checkpoint_scores"]
    assert history["benchmark"] == "bench" and history["start"] is None  # trained from scratch: no initial weights
    assert [row["step"] for row in history["scores"]] == [2, 4]
    first = checkpoints(cfg.train.out_dir)[0]
    state = load_checkpoint(first)
    g = build_generator(Config.from_dict(state["config"]).model)
    load_state_dict_checked(g, state["generator"], str(first))
    g.eval()
    expected = evaluate_benchmark(generator_upscaler(g), bench)["mean"]
    assert history["scores"][0]["psnr"] == pytest.approx(expected["psnr"], abs=0.02)
    assert history["scores"][0]["niqe"] == pytest.approx(expected["niqe"], abs=0.05)


def test_format_card_keeps_each_departure_one_bullet():
    """A departure starting with '+' (an added loss term) must not render as a nested list ("- +")."""
    from srgan.release import format_card

    card = {"name": "m", "phase": "gan", "step": 10, "batch_size": 8, "hr_crop": 96, "training_hours": 0.1, "machine": "cpu",
            "paddle": "3", "scores": {}, "departures_from_paper": ["batch of 8 (paper: 16)", "+ 1000 x lattice penalty"]}
    bullets = [line for line in format_card(card).splitlines() if line.startswith("- ")]
    assert bullets == ["- batch of 8 (paper: 16)", "- \\+ 1000 x lattice penalty"]


def test_format_card_lists_departures_whole_lineage_first_then_by_their_first_step():
    """A card built segment by segment holds its departures in the order the segments added them
    ("steps 0-4,000" after "steps 7,900-..."): a reader reads them in the order of the training."""
    from srgan.release import format_card

    departures = ["steps 7,900-11,937: discriminator: spectral", "batch of 8 (paper: 16)",
                  "steps 0-4,000: + 3000 x lattice penalty", "steps 3,000-9,280: adversarial weight 0.003",
                  "network interpolation"]
    card = {"name": "m", "phase": "gan", "step": 11937, "batch_size": 8, "hr_crop": 96, "training_hours": 1.0,
            "machine": "cpu", "paddle": "3", "scores": {}, "departures_from_paper": departures}
    bullets = [line[2:] for line in format_card(card).splitlines() if line.startswith("- ")]
    assert bullets == ["batch of 8 (paper: 16)", "network interpolation", "steps 0-4,000: + 3000 x lattice penalty",
                       "steps 3,000-9,280: adversarial weight 0.003", "steps 7,900-11,937: discriminator: spectral"]


def test_release_of_a_run_with_a_damaged_log_names_the_log(tmp_path, capsys):
    """A log whose last line a kill cut short (SIGKILL, a full disk) is released without that
    line, with a warning naming it; a damaged line elsewhere is one error naming the log and
    the line. Before, both stopped `srgan release` with json's bare "Expecting ',' delimiter:
    line 1 column 19 (char 18)", naming no file."""
    cfg = quick("pretrain")
    cfg.model.num_blocks, cfg.model.channels = 1, 8
    cfg.data.hr_size, cfg.data.batch_size = 16, 2
    cfg.train.steps, cfg.train.log_every, cfg.train.val_every, cfg.train.ckpt_every = 4, 1, 2, 2
    cfg.train.out_dir, cfg.train.visualdl = str(tmp_path / "run"), False
    bench = _benchmark(tmp_path / "bench")
    cfg.data.val_dir = str(bench)
    Trainer(cfg, images=[("x", np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))], progress=False).fit()
    log = tmp_path / "run" / "log.jsonl"
    whole = log.read_text()
    lines = whole.splitlines()
    capsys.readouterr()

    log.write_text("\n".join(lines) + '\n{"kind": "train", "step": 5, "lo')  # killed mid-write
    assert main(["release", str(tmp_path / "run"), "--out", str(tmp_path / "w" / "m.safetensors"), "--data", str(bench)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {log}: line {len(lines) + 1} is cut short" in err, err
    assert json.loads((tmp_path / "w" / "m.json").read_text())["step"] == 4

    lines[2] = lines[2][:-5]
    log.write_text("\n".join(lines) + "\n")
    assert main(["release", str(tmp_path / "run"), "--out", str(tmp_path / "w2" / "m.safetensors"), "--data", str(bench)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {log}: line 3 is not a JSON record"), err
    assert not (tmp_path / "w2").exists()

    log.write_text(whole)
    info = tmp_path / "run" / "config.json"
    for damage in ('{"config": ', "[1]"):  # cut short; edited into something else (was an AttributeError traceback)
        info.write_text(damage)
        assert main(["release", str(tmp_path / "run"), "--out", str(tmp_path / "w2" / "m.safetensors"), "--data", str(bench)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"error: {info}: damaged"), err



def _two_step_run(tmp_path):
    """A tiny phase-1 run of two steps in tmp_path/run, validated on a benchmark folder made
    in tmp_path/bench: (its config, that folder)."""
    cfg = quick("pretrain")
    cfg.model.num_blocks, cfg.model.channels = 1, 8
    cfg.data.hr_size, cfg.data.batch_size = 16, 2
    cfg.train.steps, cfg.train.val_every, cfg.train.ckpt_every = 2, 2, 2
    cfg.train.out_dir, cfg.train.visualdl = str(tmp_path / "run"), False
    bench = _benchmark(tmp_path / "bench")
    cfg.data.val_dir = str(bench)
    Trainer(cfg, images=[("x", np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))], progress=False).fit()
    return cfg, bench

def test_an_output_that_appears_while_the_release_is_scored_is_not_replaced(tmp_path, capsys, monkeypatch):
    """--out is checked before the benchmarks are scored (minutes for Set5 + Set14 with a full
    network, more with --score-checkpoints); a file that appears at the weights, card or log
    meanwhile is kept without --overwrite (one line, exit 2, nothing written). Before, all
    three were written over it."""
    import srgan.release

    cfg, bench = _two_step_run(tmp_path)
    card = tmp_path / "w" / "m.json"
    real_evaluate = srgan.release.evaluate_benchmark

    def someone_writes_the_card(*args, **kwargs):
        card.parent.mkdir(exist_ok=True)
        card.write_text("the user's notes")
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(srgan.release, "evaluate_benchmark", someone_writes_the_card)
    capsys.readouterr()
    assert main(["release", cfg.train.out_dir, "--out", str(tmp_path / "w" / "m.safetensors"), "--data", str(bench)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {card}: exists; not replaced (add --overwrite to replace it)"], err
    assert card.read_text() == "the user's notes" and sorted(p.name for p in card.parent.iterdir()) == ["m.json"]


def test_crops_that_appear_while_the_comparison_is_computed_are_not_replaced(tmp_path, capsys, monkeypatch):
    """compare --data --out: a file that appears at --out while the models run is kept without
    --overwrite (one line, exit 2); before, the crops were written over it."""
    import srgan.release
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    bench = _benchmark(tmp_path / "bench")
    save_generator(Generator(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    out = tmp_path / "cmp.png"
    real_upscaler = srgan.release.generator_upscaler

    def someone_writes_the_output(generator):
        out.write_bytes(b"the user's picture")
        return real_upscaler(generator)

    monkeypatch.setattr(srgan.release, "generator_upscaler", someone_writes_the_output)
    capsys.readouterr()
    assert main(["compare", "--weights", f"A={tmp_path / 'g.safetensors'}", "--data", str(bench), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"error: {out}: exists; not replaced (add --overwrite to replace it)"]
    assert out.read_bytes() == b"the user's picture"


def test_interpolate_releases_the_blend_with_a_measured_card_and_the_end_log(tmp_path, capsys):
    from srgan.checkpoint import build_generator, save_generator, card_and_log_paths, read_generator_file
    from srgan.config import ModelConfig

    bench = _benchmark(tmp_path / "bench")
    ends = []
    for seed, name in ((1, "a"), (2, "b")):
        import paddle
        paddle.seed(seed)
        g = build_generator(ModelConfig(num_blocks=1, channels=8, global_skip=True))
        path = tmp_path / f"{name}.safetensors"
        save_generator(g, path, card={"name": name, "phase": "gan" if name == "b" else "pretrain", "step": 10 * seed,
                                      "departures_from_paper": ["batch of 8 (paper: 16)"], "segments": [{"steps": 20}]})
        ends.append(path)
    card_and_log_paths(ends[1])[1].write_text('{"kind": "val", "step": 20}\n')
    out = tmp_path / "w" / "mix.safetensors"
    assert main(["interpolate", str(ends[0]), str(ends[1]), "--alpha", "0.25", "--out", str(out), "--data", str(bench)]) == 0

    a, b, m = (read_generator_file(p)[0] for p in (*ends, out))
    assert all(np.allclose(m[k], 0.75 * a[k] + 0.25 * b[k], atol=1e-6) for k in a)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["interpolation"]["alpha"] == 0.25 and card["interpolation"]["end"]["step"] == 20
    assert card["segments"] == [{"steps": 20}] and card["phase"] == "gan"  # the end's training record
    assert any("network interpolation" in d for d in card["departures_from_paper"])
    assert card["scores"]["bench"]["model"] == evaluate_benchmark(generator_upscaler(load_generator(out)), bench)["mean"]
    assert card_and_log_paths(out)[1].read_text() == '{"kind": "val", "step": 20}\n'
    assert "Network interpolation: 0.75 x a.safetensors + 0.25 x b.safetensors" in capsys.readouterr().out

    # nothing a user owns is replaced: the same --out again is refused and leaves the file as it was
    before = out.read_bytes()
    assert main(["interpolate", str(ends[0]), str(ends[1]), "--alpha", "0.5", "--out", str(out), "--data", str(bench)]) == 2
    assert out.read_bytes() == before
    assert main(["interpolate", str(ends[0]), str(ends[1]), "--alpha", "1.5", "--out", str(tmp_path / "x.safetensors"),
                 "--data", str(bench)]) == 2
    assert "alpha must be in [0, 1]" in capsys.readouterr().err


def _full_disk_at_the_card(monkeypatch):
    """A full disk while the model card is written (the weights, written first, fit): json.dump
    is what writes a card, old code and new."""
    import errno
    import os

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(json, "dump", full)
    return f"cannot write ({os.strerror(errno.ENOSPC)})"


@pytest.mark.parametrize("card", ['{"step": "many"}', '{"step": null, "training_hours": "3"}', "[1]", "not json",
                                  '{"departures_from_paper": "none"}'])
def test_interpolate_refuses_an_end_card_it_cannot_read_before_writing_anything(tmp_path, capsys, card):
    """Hostile s23 #4: odd END cards ended in a format error or a traceback after the weights, card and log
    were written (exit 2 or 1 with files on disk; a retry then said "exists"), or listed the departures
    "none" as n, o, n, e. Now one line naming the card, exit 2, nothing written."""
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    bench = _benchmark(tmp_path / "bench")
    ends = [tmp_path / "s.safetensors", tmp_path / "e.safetensors"]
    for path in ends:
        save_generator(Generator(num_blocks=1, channels=8), path)
    (tmp_path / "e.json").write_text(card)
    out = tmp_path / "w" / "mix.safetensors"
    assert main(["interpolate", *map(str, ends), "--alpha", "0.5", "--out", str(out), "--data", str(bench)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {tmp_path / 'e.json'}: not a model card"), err
    assert not out.parent.exists() or not list(out.parent.iterdir())


def test_interpolate_on_a_full_disk_keeps_the_old_weights_card_and_log_together(tmp_path, capsys, monkeypatch):
    """Hostile test s17 #6: `interpolate --overwrite` onto a disk that filled up at the card left
    the new weights under the old card (its alpha and scores), and the error named no file."""
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    bench = _benchmark(tmp_path / "bench")
    import paddle

    ends = []
    for seed in (1, 2):
        paddle.seed(seed)
        ends.append(tmp_path / f"{seed}.safetensors")
        save_generator(Generator(num_blocks=1, channels=8), ends[-1], card={"name": str(seed), "phase": "gan", "step": seed})
    (tmp_path / "2_log.jsonl").write_text('{"kind": "val", "step": 2}\n')
    out = tmp_path / "w" / "i.safetensors"
    assert main(["interpolate", str(ends[0]), str(ends[1]), "--alpha", "0.5", "--out", str(out), "--data", str(bench)]) == 0
    before = {p.name: p.read_bytes() for p in out.parent.iterdir()}
    assert sorted(before) == ["i.json", "i.safetensors", "i_log.jsonl"]
    capsys.readouterr()

    reason = _full_disk_at_the_card(monkeypatch)
    assert main(["interpolate", str(ends[0]), str(ends[1]), "--alpha", "0.3", "--out", str(out), "--data", str(bench),
                 "--overwrite"]) == 2
    assert {p.name: p.read_bytes() for p in out.parent.iterdir()} == before  # the old set whole, no temporary file
    assert capsys.readouterr().err.strip().splitlines() == [f"error: {out.with_suffix('.json')}: {reason}"]


def test_release_on_a_full_disk_keeps_the_old_release_whole(tmp_path, capsys, monkeypatch):
    """release --overwrite: weights, card and log are one set (hostile test s17 #6)."""
    cfg, bench = _two_step_run(tmp_path)
    out = tmp_path / "w" / "m.safetensors"
    out.parent.mkdir()
    old = {"m.safetensors": b"old weights", "m.json": b'{"step": 1}\n', "m_log.jsonl": b"old log\n"}
    for name, data in old.items():
        (out.parent / name).write_bytes(data)

    reason = _full_disk_at_the_card(monkeypatch)
    assert main(["release", cfg.train.out_dir, "--out", str(out), "--data", str(bench), "--overwrite"]) == 2
    assert {p.name: p.read_bytes() for p in out.parent.iterdir()} == old
    assert capsys.readouterr().err.strip().splitlines() == [f"error: {out.with_suffix('.json')}: {reason}"]


def _two_cardless_generators(tmp_path):
    """a.safetensors and b.safetensors (tiny, no model cards) in tmp_path, a benchmark folder,
    and the --out path of their blend."""
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    for name in ("a", "b"):
        save_generator(Generator(num_blocks=1, channels=8), tmp_path / f"{name}.safetensors")
    return _benchmark(tmp_path / "bench"), tmp_path / "mix.safetensors"


def test_interpolate_of_weights_without_cards_does_not_invent_a_phase(tmp_path, capsys):
    """Hostile test s17: two files without model cards gave a card and a summary saying `gan`."""
    bench, out = _two_cardless_generators(tmp_path)
    assert main(["interpolate", str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors"), "--alpha", "0.5",
                 "--out", str(out), "--data", str(bench)]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["phase"] is None and card["interpolation"]["end"]["phase"] is None
    summary = capsys.readouterr().out.splitlines()[0]
    assert summary.startswith("**mix** (phase unknown, ") and "gan" not in summary
    assert not (tmp_path / "mix_log.jsonl").exists()


def test_interpolate_overwrite_says_it_removed_a_log_the_new_weights_lack(tmp_path, capsys):
    """Hostile test s20 F3: `--overwrite` onto a name whose _log.jsonl the new set has no match for
    removed it in silence; the user is told (it would otherwise pass for the new weights' log)."""
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    bench = _benchmark(tmp_path / "bench")
    for name in ("a", "b"):
        save_generator(Generator(num_blocks=1, channels=8), tmp_path / f"{name}.safetensors")
    (tmp_path / "mix_log.jsonl").write_text("the user's\n")
    args = ["interpolate", str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors"), "--alpha", "0.5",
            "--out", str(tmp_path / "mix.safetensors"), "--data", str(bench)]
    assert main(args) == 2 and (tmp_path / "mix_log.jsonl").read_text() == "the user's\n"
    capsys.readouterr()
    assert main(args + ["--overwrite"]) == 0
    assert not (tmp_path / "mix_log.jsonl").exists()
    assert f"warning: removed {tmp_path / 'mix_log.jsonl'}: the file at these weights' log name" in capsys.readouterr().err


def test_run_layout_names_are_refused_inside_any_run_folder_only(tmp_path):
    """check_not_run_layout (hostile test s17 #5): best_generator.json before the run has a best,
    in a folder that holds a run's files; the same names elsewhere, and other names in the run
    folder, are ordinary outputs."""
    from srgan.outputs import OutputError
    from srgan.release import check_not_run_layout

    run = tmp_path / "run"
    run.mkdir()
    (run / "log.jsonl").write_text("")
    for name in ("best_generator.json", "best_generator.safetensors", "config.json", "ckpt_00000004.ckpt"):
        with pytest.raises(OutputError, match=f"{name} is a file of the run folder {run}"):
            check_not_run_layout([run / "x.safetensors", run / name])
    with pytest.raises(OutputError, match="init_card.json is a file of the run folder"):
        check_not_run_layout([tmp_path / "new_run" / "init_card.json"], run_dir=tmp_path / "new_run")
    check_not_run_layout([run / "release.safetensors", run / "release.json", run / "release_log.jsonl"])
    check_not_run_layout([tmp_path / "weights" / "init_card.json", tmp_path / "weights" / "config.json"])


def test_interpolate_at_minus_zero_says_one_times_the_start(tmp_path, capsys):
    """Hostile test s20: --alpha -0.0 gave a card saying "1 x a + -0 x b"."""
    bench, out = _two_cardless_generators(tmp_path)
    assert main(["interpolate", str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors"), "--alpha", "-0.0",
                 "--out", str(out), "--data", str(bench)]) == 0
    card_text = out.with_suffix(".json").read_text()
    assert "-0 x" not in card_text and "-0 x" not in capsys.readouterr().out and "\"alpha\": -0" not in card_text
    assert "1 x a.safetensors + 0 x b.safetensors" in card_text


def test_interpolate_on_a_disk_that_fills_up_is_one_line(tmp_path, capsys, monkeypatch):
    """Hostile test s21: safetensors' own error for a failed write (a full disk) was a traceback."""
    import srgan.checkpoint as ckpt_module

    bench, out = _two_cardless_generators(tmp_path)

    def full_disk(*args, **kwargs):
        raise RuntimeError("Error while serializing: IoError(No space left on device (os error 28))")

    monkeypatch.setattr(ckpt_module, "save_file", full_disk)
    code = main(["interpolate", str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors"), "--alpha", "0.5",
                 "--out", str(out), "--data", str(bench)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert [l for l in err.splitlines() if l.startswith("error:")] == [
        f"error: {out}: cannot write (Error while serializing: IoError(No space left on device (os error 28)))"]
    assert not out.exists() and not list(tmp_path.glob(".mix*"))


def test_two_benchmark_folders_of_one_name_are_refused_before_any_scoring(tmp_path, capsys):
    """Hostile s23 #10: `release RUN --data bench other/bench` kept one `bench` row, the second folder's,
    and dropped the first's scores without a word."""
    cfg, first = _two_step_run(tmp_path)
    second = _benchmark(tmp_path / "other" / "bench")
    out = tmp_path / "w.safetensors"
    assert main(["release", cfg.train.out_dir, "--out", str(out), "--data", str(first), str(second)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --data {first} and {second}: two benchmark folders named bench, whose scores are kept under "
                   "that name; rename one of them"], err
    assert not out.exists()


def test_interpolate_of_tensors_of_different_shapes_names_the_first_one(tmp_path, capsys):
    """Hostile test of the CLI's messages, #2: two files whose configs look alike but whose tensors
    differ were "different architectures (ModelConfig(...) vs ModelConfig(...))", the same config twice."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    bench, out = _two_cardless_generators(tmp_path)
    with safe_open(str(tmp_path / "b.safetensors"), framework="numpy") as f:
        metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    tensors["tail.bias"] = np.zeros((3, 3), np.float32)
    save_file(tensors, str(tmp_path / "b.safetensors"), metadata=metadata)
    assert main(["interpolate", str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors"), "--alpha", "0.5",
                 "--out", str(out), "--data", str(bench)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: cannot interpolate {tmp_path / 'a.safetensors'} and {tmp_path / 'b.safetensors'}: tail.bias: (3,) vs (3, 3)"]
    assert not out.exists()
    save_generator(Generator(num_blocks=2, channels=8), tmp_path / "c.safetensors")  # another config: the configs say it
    assert main(["interpolate", str(tmp_path / "a.safetensors"), str(tmp_path / "c.safetensors"), "--alpha", "0.5",
                 "--out", str(out), "--data", str(bench)]) == 2
    assert "different architectures (ModelConfig(scale=4, num_blocks=1" in capsys.readouterr().err


def test_release_of_a_run_without_its_config_json_does_not_say_on_none(tmp_path, capsys):
    """Hostile test of the CLI's messages, #3: a run folder without config.json (the machine record)
    printed "0.00 h on None"; the machine is left out where it is not known."""
    cfg, bench = _two_step_run(tmp_path)
    (tmp_path / "run" / "config.json").unlink()
    assert main(["release", cfg.train.out_dir, "--out", str(tmp_path / "w.safetensors"), "--data", str(bench)]) == 0
    summary = capsys.readouterr().out.splitlines()[0]
    assert "None" not in summary and summary.startswith("**w** (pretrain, step 2, batch 2 x 16 px, ") and summary.endswith(" h)")
    assert json.loads((tmp_path / "w.json").read_text())["machine"] is None


def test_release_takes_a_checkpoint_by_its_file_name_in_the_run(tmp_path, capsys, monkeypatch):
    """Hostile test of the CLI's messages, #4: `release RUN --checkpoint ckpt_00000002.ckpt` (the name
    `ls RUN` shows) was "ckpt_00000002.ckpt: no such checkpoint"; a name not in RUN either still is."""
    cfg, bench = _two_step_run(tmp_path)
    monkeypatch.chdir(tmp_path)  # no ckpt_00000002.ckpt here: the run's is meant
    assert main(["release", "run", "--checkpoint", "ckpt_00000002.ckpt", "--out", "w.safetensors", "--data", str(bench)]) == 0
    assert json.loads((tmp_path / "w.json").read_text())["step"] == 2
    capsys.readouterr()
    assert main(["release", "run", "--checkpoint", "ckpt_00000009.ckpt", "--out", "v.safetensors", "--data", str(bench)]) == 2
    assert capsys.readouterr().err.strip() == "error: ckpt_00000009.ckpt: no such checkpoint"


def test_a_bare_checkpoint_name_of_another_file_here_points_to_the_runs_own(tmp_path, capsys, monkeypatch):
    """Hostile round s24 #7: with a file of that name in the current folder too, the refusal said
    'release . instead', where the user meant RUN's checkpoint of that name."""
    import shutil

    cfg, bench = _two_step_run(tmp_path)
    monkeypatch.chdir(tmp_path)
    shutil.copy(tmp_path / "run" / "ckpt_00000002.ckpt", tmp_path / "ckpt_00000002.ckpt")
    capsys.readouterr()
    assert main(["release", "run", "--checkpoint", "ckpt_00000002.ckpt", "--out", "w.safetensors", "--data", str(bench)]) == 2
    err = capsys.readouterr().err
    assert "not a checkpoint of run" in err and "(give run/ckpt_00000002.ckpt for the run's own)" in err, err


def test_a_checkpoint_copied_in_from_another_run_is_not_released_with_this_runs_history(tmp_path, capsys, monkeypatch):
    """Hostile round s24 #8: another run's checkpoint (phase gan) copied into a pretrain run's folder was
    released with this run's log and learning curve."""
    from srgan.checkpoint import load_checkpoint, save_checkpoint
    from srgan.config import Config

    cfg, bench = _two_step_run(tmp_path)
    other = Config.from_dict(cfg.to_dict())
    other.model.num_blocks += 1  # another network
    state = load_checkpoint(tmp_path / "run" / "ckpt_00000002.ckpt")
    from srgan.models import Generator as G
    state["config"], state["generator"] = other.to_dict(), {k: v.numpy() for k, v in G.from_config(other.model).state_dict().items()}
    save_checkpoint(tmp_path / "run" / "ckpt_00000003.ckpt", state)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["release", "run", "--checkpoint", "run/ckpt_00000003.ckpt", "--out", "w.safetensors", "--data", str(bench)]) == 2
    assert "are not run's (config.json); a checkpoint of another run" in capsys.readouterr().err
    assert not (tmp_path / "w.safetensors").exists()
