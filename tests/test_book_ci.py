"""The book job's configuration helpers (ci/execute_book.py, ci/check_book.py): the repository
address in one place, buttons that never point to a placeholder, Paddle's notices kept out of the pages,
tables and equations rendered, one box per printed output, no papermill noise, no first-run message
on a page. (The browser check's page rules: tests/test_check_book.py.)"""

import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "ci"))

from check_book import button_problems  # noqa: E402
from execute_book import (drop_new_checkpoints, hide_injected_parameters, merge_consecutive_streams, quiet_environment,  # noqa: E402
                          repository_config, warm_first_run_caches, with_repository_address, without_language_switch)


def test_config_has_no_repository_address_and_no_buttons():
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["repository"]["url"] == "" and not config["html"]["use_repository_button"]
    assert not config["launch_buttons"]["colab_url"]


def test_repository_address_is_set_in_the_build_copy_only():
    text = (REPO / "_config.yml").read_text()
    off = yaml.safe_load(repository_config(text, None))
    assert off["repository"]["url"] == "" and not off["html"]["use_repository_button"] and not off["launch_buttons"]["colab_url"]
    on = yaml.safe_load(repository_config(text, "https://github.com/someone/srgan/", "dev"))
    assert on["repository"] == {**off["repository"], "url": "https://github.com/someone/srgan", "branch": "dev"}
    assert on["html"]["use_repository_button"] and on["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert on["title"] == off["title"] == yaml.safe_load(text)["title"]  # the rest is untouched


def test_language_switch_is_on_and_left_out_of_a_single_edition_build():
    text = (REPO / "_config.yml").read_text()
    config = yaml.safe_load(text)
    assert "language-switch.js" in config["sphinx"]["config"]["html_js_files"]
    assert (REPO / "book" / "_static" / "language-switch.js").is_file()
    single = yaml.safe_load(without_language_switch(text))
    assert "language-switch.js" not in single["sphinx"]["config"]["html_js_files"]
    single["sphinx"]["config"]["html_js_files"] = config["sphinx"]["config"]["html_js_files"]
    assert single == config  # nothing else changed


def test_buttons_must_point_to_the_configured_repository():
    repo = "https://github.com/someone/srgan"
    good = [f"{repo}/blob/main/book/05_srresnet.ipynb", "https://colab.research.google.com/github/someone/srgan/blob/main/book/05_srresnet.ipynb",
            "http://127.0.0.1:8000/book/06_srgan.html"]
    assert button_problems(good, repo) == []
    assert button_problems(["https://github.com/other/repo"], repo)
    assert button_problems(["https://github.com/srgan-paddle/srgan-paddle"], None)  # the old placeholder
    assert button_problems([f"{repo}/issues"], None)  # buttons while no address is configured
    assert button_problems([], "https://github.com/srgan-paddle/srgan-paddle")  # a placeholder as the address
    assert button_problems(["http://127.0.0.1:8000/index.html"], None) == []


def test_quiet_environment_adds_filters_and_keeps_the_users_log_level():
    env = quiet_environment({"PYTHONWARNINGS": "error::DeprecationWarning"})
    filters = env["PYTHONWARNINGS"].split(",")
    assert filters[0] == "error::DeprecationWarning" and "ignore:When training:UserWarning:paddle.nn.layer.norm" in filters
    assert all("," not in f for f in filters) and env["GLOG_minloglevel"] == "2"
    assert quiet_environment({"GLOG_minloglevel": "0"})["GLOG_minloglevel"] == "0"


def test_markdown_outputs_render_tables_and_equations_load_locally():
    config = yaml.safe_load((REPO / "_config.yml").read_text())["sphinx"]["config"]
    # CommonMark (myst-nb's default for text/markdown outputs) has no tables: viz.table would be a paragraph of pipes
    assert config["nb_render_markdown_format"] == "gfm"
    # MathJax from the book's own _static folder (ci/book.sh copies it there), not a CDN address
    assert "://" not in config["mathjax_path"] and config["mathjax_path"].startswith("mathjax/")
    assert f'"$mathjax/es5/{Path(config["mathjax_path"]).name}"' in (REPO / "ci" / "book.sh").read_text()


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def test_neighbouring_prints_are_joined_and_keep_their_place():
    figure = {"output_type": "display_data", "data": {"image/png": "..."}, "metadata": {}}
    outputs = [stream("a\n"), stream(["b\n", "c\n"]), figure, stream("d\n"), stream("e\n", "stderr"), stream("f\n")]
    merged = merge_consecutive_streams(outputs)
    assert [o.get("text") for o in merged] == ["a\nb\nc\n", None, "d\n", "e\n", "f\n"]
    assert merged[1] is figure and merge_consecutive_streams([]) == []


def cells(injected, defaults="# Parameters (papermill)\nquick = True\nsteps = None  # None -> 20\n"):
    return [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": defaults},
            {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": injected},
            {"cell_type": "code", "metadata": {}, "source": "print(quick)"}]


def test_injected_parameters_are_hidden_only_when_they_repeat_the_defaults():
    same = cells("# Parameters\nquick = True\n")
    assert hide_injected_parameters(same) and same[1]["metadata"]["tags"] == ["injected-parameters", "remove-cell"]
    assert "remove-cell" not in same[0]["metadata"]["tags"]  # the reader still sees the defaults
    for shown in ("# Parameters\nquick = False\n", "# Parameters\nquick = True\nsteps = 5\n", "quick = True\nlr = 1e-3\n"):
        other = cells(shown)  # --full, -p steps=5, a parameter the chapter does not declare
        assert not hide_injected_parameters(other) and other[1]["metadata"]["tags"] == ["injected-parameters"]
    assert not hide_injected_parameters(cells("quick = True\n", defaults="quick = compute()\n"))


def test_matplotlib_first_run_message_goes_to_the_build_log(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import subprocess

    # A fresh matplotlib cache, as on a new machine: its first import logs the font scan on stderr.
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    assert "generated new fontManager" in warm_first_run_caches()
    assert list((tmp_path / "mpl").glob("fontlist-*.json"))
    # What a chapter's first plot import prints now, with the root logger at INFO as in the kernels.
    code = "import logging; logging.basicConfig(level=logging.INFO); import matplotlib.pyplot"
    chapter = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert chapter.returncode == 0 and chapter.stderr == ""
    assert warm_first_run_caches() == ""


def test_viz_table_is_a_pipe_table_with_alignment_caption_and_escaped_bars():
    from srgan import viz

    text = viz.table(["set", "PSNR | SSIM", "PSNR [dB]"], [["Set5", "28.43 | 0.82", "28.43"], ["**mean**", "—", "**1.5 %**"]],
                     caption="x4, Y channel")
    assert text._repr_markdown_() == text
    assert text.splitlines() == ["*x4, Y channel*", "", "| set | PSNR \\| SSIM | PSNR [dB] |", "|---|---|---:|",
                                 "| Set5 | 28.43 \\| 0.82 | 28.43 |", "| **mean** | — | **1.5 %** |"]
    # default alignment: numbers (with units, bold, a "/" pair, a dash for none) right, text left
    assert viz.table(["a", "b", "c"], [["x", "1,200", "30.79 / 0.8809"], ["y", "-0.3 dB", "—"]]).splitlines()[1] == "|---|---:|---:|"
    assert viz.table(["a", "b"], [["1", "2"]], align="lr").splitlines()[1] == "|---|---:|"
    markdown_it = pytest.importorskip("markdown_it", reason="the GFM rendering is checked where the book extra is installed")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(text)
    assert "<table>" in html and html.count("<tr>") == 3 and html.count('style="text-align:right"') == 3
    assert html.count("<td") == 6 and ">28.43 | 0.82</td>" in html  # the escaped bar stays inside its cell


def test_build_copy_links_the_weights_and_owns_its_runs(tmp_path):
    from execute_book import copy_book_sources

    copy_book_sources(tmp_path)
    copy_book_sources(tmp_path)  # a second build into the same folder
    # the chapters run in <out>/book: ../weights is the repository's, ../runs the build's own
    assert (tmp_path / "weights").resolve() == (REPO / "weights").resolve()
    assert (tmp_path / "runs").is_dir() and not (tmp_path / "runs").is_symlink()
    assert (tmp_path / "book" / "_static" / "book.css").is_file() and not list((tmp_path / "book").glob("*.ipynb"))
    assert "runs" in yaml.safe_load((tmp_path / "_config.yml").read_text())["exclude_patterns"]
    # the build's config tells book/_ext/repository_links.py where the checkout is
    assert yaml.safe_load((tmp_path / "_config.yml").read_text())["sphinx"]["config"]["book_repository_root"] == str(REPO)


def test_repeated_inline_scripts_are_written_once():
    """book/_ext/single_scripts.py: Sphinx 7.4 hands a page sphinx-thebe's inline config twice (filename
    None and ""), a `const` declared twice = a console error on every page; the second copy is dropped."""
    from types import SimpleNamespace

    sys.path.insert(0, str(REPO / "book" / "_ext"))
    from single_scripts import drop_repeated_scripts

    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"]["single_scripts"] == "book/_ext"
    thebe = 'const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"'
    scripts = [SimpleNamespace(filename="_static/doctools.js", attributes={}),
               SimpleNamespace(filename=None, attributes={"body": thebe}),
               SimpleNamespace(filename="_static/sphinx-thebe.js", attributes={"async": "async"}),
               SimpleNamespace(filename="", attributes={"body": thebe}),
               SimpleNamespace(filename="", attributes={"body": "var other = 1;"}),
               SimpleNamespace(filename="_static/language-switch.js", attributes={})]
    context = {"script_files": scripts}
    drop_repeated_scripts(None, "book/00_intro", "page.html", context, None)
    assert context["script_files"] == [scripts[i] for i in (0, 1, 2, 4, 5)]
    assert len(scripts) == 6  # the builder's own list is left as it was


def test_glue_words_are_translated_for_the_chinese_edition():
    """execute_book.translate_glue on outputs as myst-nb's glue writes them: display=False (the
    chapters' way) stores the repr under the scrapbook's mime prefix, display=True under
    text/plain; numbers and unknown text stay, other outputs are not touched."""
    from execute_book import translate_glue

    def glued(name, value, display=False):
        prefix = "application/papermill.record/"
        key = "text/plain" if display else prefix + "text/plain"
        return {"output_type": "display_data", "data": {key: repr(value)},
                "metadata": {"scrapbook": {"mime_prefix": prefix, "name": name}}}

    printed = {"output_type": "stream", "name": "stdout", "text": "'lower'\n"}
    cells = [{"cell_type": "code", "outputs": [glued("niqe_word", "lower"), glued("cast", "blue +3.0"),
                                                glued("n", "6.80"), glued("shown", "lower", display=True),
                                                glued("unknown", "some words nobody translated"), printed]}]
    assert translate_glue(cells) == 3
    data = [o.get("data", {}) for o in cells[0]["outputs"]]
    assert data[0]["application/papermill.record/text/plain"] == repr("低于")
    assert data[1]["application/papermill.record/text/plain"] == repr("蓝色通道 +3.0")
    assert data[2]["application/papermill.record/text/plain"] == repr("6.80")
    assert data[3]["text/plain"] == repr("低于")
    assert data[4]["application/papermill.record/text/plain"] == repr("some words nobody translated")
    assert cells[0]["outputs"][5] == printed


def test_printed_lines_the_prose_relies_on_are_translated_for_the_chinese_edition():
    """execute_book.translate_printed: stdout lines that srgan.i18n.ZH_PRINTED knows (chapter 7's
    verdicts) become Chinese, their indentation kept; printed code, other lines, stderr and other
    outputs stay as they are."""
    from execute_book import translate_printed

    verdict = ("Set5: SRGAN-MSE gives up 0.75 dB against SRResNet and is more natural by NIQE (7.41 vs 8.19; HR 5.44), "
               "grid contrast 6.67")
    code = "    def step(self):\n        return content loss\n"
    cells = [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": [verdict + "\n", "/tmp/runs/g.safetensors\n"]},
        {"output_type": "stream", "name": "stdout", "text": code},
        {"output_type": "stream", "name": "stderr", "text": verdict + "\n"},
        {"output_type": "stream", "name": "stdout", "text": "  median D(HR) 0.9998, median D(G(LR)) 0.0009, "
                                                             "D(G(LR)) above 0.5 in 0 records\n"}]},
        {"cell_type": "markdown", "source": verdict}]
    assert translate_printed(cells) == 2
    outputs = cells[0]["outputs"]
    assert outputs[0]["text"] == ("Set5：SRGAN-MSE 的 PSNR 比 SRResNet 低 0.75 dB，按 NIQE 更自然（7.41 对 8.19；HR 为 5.44），"
                                  "网格对比度 6.67\n/tmp/runs/g.safetensors\n")
    assert outputs[1]["text"] == code and outputs[2]["text"] == verdict + "\n"
    assert outputs[3]["text"] == "  D(HR) 的中位数 0.9998，D(G(LR)) 的中位数 0.0009，D(G(LR)) 大于 0.5 的记录有 0 条\n"
    assert cells[1]["source"] == verdict


def test_repository_paths_in_the_prose_link_to_the_repository_when_the_book_has_an_address():
    """book/_ext/repository_links.py (reader, session 22: `weights/experiments/issue23/README.md` and
    `benchmarks/upscale_startup.md` cited on the site, unusable without a checkout): an inline-code span
    naming a file or folder of the checkout becomes a link to it on the configured branch; code that
    is not a path, a path that does not exist, one outside the checkout, or a book without an address
    stays as it was."""
    from types import SimpleNamespace

    from docutils import nodes

    sys.path.insert(0, str(REPO / "book" / "_ext"))
    from repository_links import link_repository_paths, repository_address

    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"]["repository_links"] == "book/_ext"
    url = "https://github.com/someone/srgan"
    assert repository_address("weights/experiments/issue23/README.md", REPO, url, "dev") == \
        f"{url}/blob/dev/weights/experiments/issue23/README.md"
    assert repository_address("benchmarks/", REPO, url, "main") == f"{url}/tree/main/benchmarks"
    assert repository_address("README.md", REPO, url, "main") == f"{url}/blob/main/README.md"
    for not_a_link in ("srgan", "weights/no_such_file.md", "../shared/PAPER.md", "/etc/passwd", "x = 1",
                       "srgan.metrics.texture_direction", "https://example.org/a.md"):
        assert repository_address(not_a_link, REPO, url, "main") is None, not_a_link
    assert repository_address("README.md", REPO, "", "main") is None

    def page():
        paragraph = nodes.paragraph("", "", nodes.Text("see "), nodes.literal("", "benchmarks/upscale_startup.md"),
                                    nodes.Text(" and "), nodes.literal("", "viz.table"))
        return nodes.section("", paragraph)

    def app(address):
        return SimpleNamespace(config=SimpleNamespace(html_theme_options={"repository_url": address, "repository_branch": "main"},
                                                      book_repository_root=str(REPO)))

    linked = page()
    link_repository_paths(app(url), linked, "book/08_deployment")
    links = list(linked.findall(nodes.reference))
    assert [(r["refuri"], r.astext()) for r in links] == [(f"{url}/blob/main/benchmarks/upscale_startup.md",
                                                           "benchmarks/upscale_startup.md")]
    assert [n.astext() for n in linked.findall(nodes.literal)] == ["benchmarks/upscale_startup.md", "viz.table"]
    unlinked = page()
    link_repository_paths(app(""), unlinked, "book/08_deployment")
    assert not list(unlinked.findall(nodes.reference))


def test_a_book_with_an_address_gives_it_to_the_setup_cells_and_the_clone_commands():
    """Readers (session 23) found no address anywhere: every setup cell said REPOSITORY_URL = "" and the
    prose `git clone <the repository's address>`. Built with BOOK_REPOSITORY_URL, each chapter as executed
    and downloaded has it in both places (English and Chinese placeholders); the source is unchanged."""
    import json

    url = "https://github.com/someone/srgan"
    for chapter in ("00_intro", "08_deploy"):
        for path in (REPO / "book" / f"{chapter}.ipynb", REPO / "book" / "zh" / f"{chapter}.ipynb"):
            source = json.loads(path.read_text(encoding="utf-8"))
            before = json.dumps(source)
            filled = with_repository_address(source, url)
            assert json.dumps(source) == before  # not modified in place
            text = lambda nb, kind: "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind)
            assert 'REPOSITORY_URL = ""' in text(source, "code") and f'REPOSITORY_URL = "{url}"' in text(filled, "code")
            assert f"git+{url}" in text(filled, "markdown") or f"git clone {url}" in text(filled, "markdown"), path
            assert "<the repository's address>" not in text(filled, "markdown") and "<仓库地址>" not in text(filled, "markdown")


def test_only_the_checkpoints_a_chapter_just_wrote_are_deleted(tmp_path):
    import os
    import time

    runs = tmp_path / "runs"
    (runs / "old").mkdir(parents=True)
    (runs / "new" / "images").mkdir(parents=True)
    earlier = runs / "old" / "ckpt_00000010.ckpt"
    earlier.write_bytes(b"x" * 10)
    os.utime(earlier, (time.time() - 3600, time.time() - 3600))  # a run of before this chapter
    since = time.time() - 1
    written = runs / "new" / "ckpt_00000020.ckpt"
    written.write_bytes(b"y" * 30)
    kept = [runs / "new" / "log.jsonl", runs / "new" / "best_generator.safetensors", runs / "new" / "mine.ckpt",
            runs / "new" / "images" / "ckpt_1.ckpt"]
    for path in kept:
        path.write_bytes(b"z")
    assert drop_new_checkpoints(runs, since) == 30
    assert not written.exists() and earlier.exists() and all(p.exists() for p in kept)
