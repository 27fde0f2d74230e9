"""srgan.i18n, the Chinese edition's figure and table text: the table, the translation of figure
text through matplotlib, the CJK font, and the warning the book's check relies on when a glyph
is missing (ci/check_book.py's missing_glyphs rule reads matplotlib's own message)."""

import ast
import functools
import io
import itertools
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from srgan import i18n  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _have_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    return "Noto Sans CJK" in subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout


needs_cjk_font = pytest.mark.skipif(not _have_cjk_font(), reason="no Noto Sans CJK font (apt-get install fonts-noto-cjk)")


@pytest.fixture
def chinese():
    """set_language("zh") for one test; English and matplotlib's settings restored after it."""
    saved = matplotlib.rcParams.copy()
    yield i18n.set_language("zh")
    i18n.set_language("en")
    matplotlib.rcParams.update(saved)


def drawn_warnings(draw) -> list[str]:
    """The warnings matplotlib gives while `draw(ax)` is rendered to a PNG."""
    fig, ax = plt.subplots()
    try:
        draw(ax)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
    finally:
        plt.close(fig)
    return [str(w.message) for w in caught]


def test_table_keys_and_values_have_the_same_slots():
    for key, value in i18n.ZH.items():
        assert key.count("{}") == value.count("{}"), (key, value)
        assert value.strip() and value != key, key


def test_translate_whole_patterns_nested_and_line_by_line():
    assert i18n.translate("validation", "zh") == "验证集"
    assert i18n.translate("step 400, 27.07 dB", "zh") == "第 400 步，27.07 dB"  # the longer pattern wins over "step {}"
    assert i18n.translate("segment 2: bicubic", "zh") == "第 2 段：双三次插值"  # a slot that is itself an entry
    assert i18n.translate("bicubic\noriginal", "zh") == "双三次插值\n原图"
    assert i18n.translate("SRResNet", "zh") == "SRResNet" and i18n.translate("27.07 dB", "zh") == "27.07 dB"
    assert i18n.translate("validation") == "validation"  # the language is English unless set


def test_untranslated_english_is_listed_names_and_numbers_are_not(tmp_path, monkeypatch):
    listing = tmp_path / "untranslated.txt"
    monkeypatch.setenv("SRGAN_UNTRANSLATED", str(listing))
    for text in ("a caption nobody translated", "SRResNet", "Set14", "27.07 dB", "D(HR)", "two\nlines here"):
        i18n.translate(text, "zh")
    assert listing.read_text(encoding="utf-8").splitlines() == ["a caption nobody translated", "two", "lines here"]


def test_figure_text_goes_through_the_table_and_back(chinese):
    fig, ax = plt.subplots()
    try:
        ax.set_title("validation")
        ax.set_xlabel("step")
        line, = ax.plot([0, 1], label="bicubic")
        legend = ax.legend()
        assert (ax.get_title(), ax.get_xlabel()) == ("验证集", "步数")
        assert legend.get_texts()[0].get_text() == "双三次插值"
    finally:
        plt.close(fig)
    i18n.set_language("en")
    fig, ax = plt.subplots()
    try:
        ax.set_title("validation")
        assert ax.get_title() == "validation"
    finally:
        plt.close(fig)


@needs_cjk_font
def test_chinese_figures_have_every_glyph(chinese):
    assert chinese == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", "Noto Sans CJK SC"]  # Latin as in English

    def draw(ax):
        ax.set_title("{}: validation grids (dB: mean PSNR over the validation images)".format("SRResNet"))
        ax.set_xlabel("D updates")
        ax.set_ylabel("validation NIQE (lower = more natural)")
        ax.plot([1, 2], label="continued, fresh schedule")
        ax.legend()
    assert [m for m in drawn_warnings(draw) if "missing from" in m] == []


def test_a_missing_glyph_is_the_warning_the_book_check_reads():
    """Chinese text in a font without it: matplotlib warns, in the words ci/check_book.py looks for
    in the pages' outputs (its missing_glyphs rule; in a notebook the warning is a stderr output)."""
    sys.path.insert(0, str(REPO / "ci"))
    import check_book

    pattern = re.search(r"/(Glyph .*?)/i\.test\(line\)", check_book.MEASURE_JS).group(1).replace("\\\\", "\\")
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        messages = drawn_warnings(lambda ax: ax.set_title("验证集"))
    missing = [m for m in messages if "missing from" in m]
    assert missing and all(re.search(pattern, m, re.I) for m in missing), (pattern, messages)


@needs_cjk_font
def test_a_font_installed_after_matplotlibs_cache_is_found(monkeypatch):
    """matplotlib's font list was cached before the font was installed (AI Studio: apt-get install,
    kernel restart): cjk_font adds the system's unlisted font files and finds it."""
    cjk_files = {f.fname for f in font_manager.fontManager.ttflist if f.name in i18n.CJK_FONTS}
    if not cjk_files:
        i18n.cjk_font()  # this process's list predates the font (the case under test): let it find the files
        cjk_files = {f.fname for f in font_manager.fontManager.ttflist if f.name in i18n.CJK_FONTS}
    without = [f for f in font_manager.fontManager.ttflist if f.fname not in cjk_files]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", without)
    assert not {f.name for f in font_manager.fontManager.ttflist} & set(i18n.CJK_FONTS)
    assert i18n.cjk_font() == "Noto Sans CJK SC"


# --- every phrase the chapters glue, and the texts their figures and tables draw ----------------
# A small static reading of the chapters' code: the strings an expression can take, as far as
# literals, f-strings, conditionals, "+", "sep".join, indexing a literal tuple, and the names
# bound to those anywhere in the notebook tell. Whatever it cannot enumerate (a number, a name
# read from data) stands as UNKNOWN, which a "{}" or "{#}" slot matches and no word-for-word
# entry does; values built from data the reading cannot follow are listed in GLUE_EXAMPLES.
UNKNOWN = "1.5"
_CONTAINERS = (ast.List, ast.Tuple, ast.Set, ast.ListComp, ast.GeneratorExp, ast.Dict)


class _Strings:
    """The strings expressions of one notebook's (or module's) code can take."""

    def __init__(self, trees: list[ast.AST]):
        self.bindings: dict[str, list[tuple[str, ast.AST]]] = {}
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        self._bind(target, node.value)
                elif isinstance(node, (ast.For, ast.comprehension)):
                    self._bind_loop(node.target, node.iter)

    def _bind(self, target, value) -> None:
        if isinstance(target, ast.Name):
            self.bindings.setdefault(target.id, []).append(("value", value))
        elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts):
                self._bind(t, v)

    def _bind_loop(self, target, iterable) -> None:
        """`for key, value in X.items()`: value takes X's values, key its keys; `for a, b in
        [(..., ...), ...]`: a and b take the tuples' elements."""
        if not isinstance(target, ast.Tuple):
            return
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute) and iterable.func.attr == "items":
            for t, part in zip(target.elts, ("keys", "values")):
                if isinstance(t, ast.Name):
                    self.bindings.setdefault(t.id, []).append((part, iterable.func.value))
        elif isinstance(iterable, (ast.List, ast.Tuple)):
            for row in iterable.elts:
                if isinstance(row, ast.Tuple) and len(row.elts) == len(target.elts):
                    for t, v in zip(target.elts, row.elts):
                        self._bind(t, v)

    def _dict_part(self, node, part: str, seen: frozenset) -> list[str]:
        """The keys or values of a dict literal, of dict.fromkeys(keys, value), or of a name bound to one."""
        if isinstance(node, ast.Dict):
            return self._union([k for k in node.keys if k is not None] if part == "keys" else node.values, seen)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "fromkeys" and len(node.args) == 2:
            return self.values(node.args[1], seen) if part == "values" else self.values(node.args[0], seen)
        if isinstance(node, ast.Name) and node.id not in seen:
            found = [self._dict_part(v, part, seen | {node.id}) for kind, v in self.bindings.get(node.id, []) if kind == "value"]
            return _dedupe(s for strings in found for s in strings) or [UNKNOWN]
        return [UNKNOWN]

    def _union(self, nodes, seen: frozenset) -> list[str]:
        return _dedupe(s for node in nodes for s in self.values(node, seen))

    def values(self, node, seen: frozenset = frozenset()) -> list[str]:
        """Every string `node` can evaluate to (UNKNOWN where the reading stops)."""
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else [UNKNOWN]
        if isinstance(node, ast.JoinedStr):
            parts = [[p.value] if isinstance(p, ast.Constant) else
                     [UNKNOWN] if p.format_spec is not None else self.values(p.value, seen) for p in node.values]
            return _product(parts)
        if isinstance(node, ast.IfExp):
            return self._union([node.body, node.orelse], seen)
        if isinstance(node, ast.BoolOp):
            return self._union(node.values, seen)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return _product([self.values(node.left, seen), self.values(node.right, seen)])
        if isinstance(node, ast.Subscript) and isinstance(node.value, (ast.List, ast.Tuple)):
            return self._union(node.value.elts, seen)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
                and isinstance(node.func.value, ast.Constant) and len(node.args) == 1:
            sep, items = node.func.value.value, node.args[0]
            item = self.values(items.elt, seen) if isinstance(items, (ast.GeneratorExp, ast.ListComp)) else [UNKNOWN]
            # One item: how many there are and which go together is data (GLUE_EXAMPLES has such sentences).
            return item if any(re.search("[A-Za-z]", s) for s in item) else [UNKNOWN]
        if isinstance(node, ast.Name) and node.id not in seen:
            found = []
            for kind, bound in self.bindings.get(node.id, []):
                found += self.values(bound, seen | {node.id}) if kind == "value" else \
                    self._dict_part(bound, kind, seen | {node.id})
            return _dedupe(found) or [UNKNOWN]
        return [UNKNOWN]

    def texts(self, node, seen: frozenset = frozenset()):
        """The text expressions inside a figure or table call's argument: the elements of literal
        lists, tuples and dicts (keys too), of comprehensions, and of names bound to those."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for elt in node.elts:
                yield from self.texts(elt, seen)
        elif isinstance(node, ast.Dict):
            for part in [k for k in node.keys if k is not None] + node.values:
                yield from self.texts(part, seen)
        elif isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            yield from self.texts(node.elt, seen)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and not _is_text(node):
            yield from self.texts(node.left, seen)
            yield from self.texts(node.right, seen)
        elif isinstance(node, ast.Name) and node.id not in seen and any(
                kind == "value" and isinstance(v, _CONTAINERS) for kind, v in self.bindings.get(node.id, [])):
            for kind, bound in self.bindings[node.id]:
                if kind == "value" and isinstance(bound, _CONTAINERS):
                    yield from self.texts(bound, seen | {node.id})
        elif isinstance(node, (ast.Constant, ast.JoinedStr, ast.IfExp, ast.BinOp, ast.Name, ast.Subscript)):
            yield node


def _is_text(node) -> bool:
    return isinstance(node, (ast.Constant, ast.JoinedStr)) or (
        isinstance(node, ast.BinOp) and (_is_text(node.left) or _is_text(node.right)))


def _dedupe(strings) -> list[str]:
    return list(dict.fromkeys(strings))


def _product(parts: list[list[str]], limit: int = 200) -> list[str]:
    return _dedupe("".join(p) for p in itertools.islice(itertools.product(*parts), limit))


@functools.lru_cache(maxsize=None)  # read once for the glue and the figure tests (the notebooks have their outputs)
def _chapter_trees(notebook: Path) -> list[ast.AST]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [ast.parse("".join(c["source"])) for c in cells if c["cell_type"] == "code"]


CHAPTERS = sorted((REPO / "book").glob("[0-9][0-9]_*.ipynb"))


def glued_values() -> dict[str, dict[str, list[str]]]:
    """chapter -> glue name (with UNKNOWN for computed parts) -> the values the scan finds."""
    found = {}
    for notebook in CHAPTERS:
        trees = _chapter_trees(notebook)
        strings = _Strings(trees)
        for tree in trees:
            for call in ast.walk(tree):
                if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "glue" and len(call.args) >= 2:
                    for name in strings.values(call.args[0]):
                        found.setdefault(notebook.stem, {}).setdefault(name, []).extend(strings.values(call.args[1]))
    return found


# Glued values built from data the scan cannot follow (dict keys, names of losses or runs), as
# the chapters make them: glue name -> every value it can have.
GLUE_EXAMPLES = {
    "c6_grid_ends": ["0.98 with the lattice penalty and 2.13 without it (paper's recipe)", "0.98 with the lattice penalty",
                     "2.13 paper's recipe"],
    "c6_share_verdict": [f"the {names} concentrated there beyond white noise" for names in
                         ("content gradient is", "adversarial gradient is", "content and adversarial gradients are")],
    "c7_psnr_relation": [f"on every set here that order is {relation} the paper's Set5 order SRGAN-MSE > SRGAN-VGG22 > "
                         "SRGAN-VGG54" for relation in ("the same as", "the reverse of", "different from")]
                        + ["that order is different from the paper's Set5 order SRGAN-MSE > SRGAN-VGG22 > SRGAN-VGG54 on Set5 "
                           "and the reverse of it on Set14"],
    "c7_order_verdict": ["The PSNR orderings are the paper's.", "The PSNR orderings are not the paper's.",
                         "The PSNR ordering is the paper's on some sets only."],
    "c8_best_engine": ["oneDNN", "OpenVINO", "GPU", "none"],
    "c7_pd_verdict": [f"{head}: {moves}" for head in ("It does", "Not on every set") for moves in (
        "on Set5 it gives up 0.72 dB for NIQE 8.19 → 5.85 (HR 5.44)",
        "on Set5 it gives up 0.72 dB for NIQE 8.19 → 5.85 (HR 5.44), and on Set14 it gives up 0.52 dB for NIQE 7.00 → "
        "4.77 (HR 4.92)")] + ["(no SRGAN scored)"],
}


# Words that stay English in the Chinese edition: photo names, and terms kept as they are.
NAMES = {"chelsea", "coffee", "astronaut", "rocket", "baboon", "autograd", "logit", "log", "auto", "mse", "vgg22", "vgg54"}
_CODE = re.compile(r"`[^`]*`|[\w.-]*[_=./][\w.=/-]*|\w+\(")  # `code`, identifiers, file names, numbers, calls


def _english(text: str) -> list[str]:
    """The English words of `text`: lowercase words of 3+ letters that are not code or NAMES."""
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", _CODE.sub(" ", text)) if len(w) >= 3 and w.islower() and w not in NAMES]


def _left_in_english(texts) -> list[str]:
    """Those of `texts` whose Chinese translation still has English words."""
    return [f"{t!r} -> {i18n.translate(t, 'zh')!r}" for t in texts if _english(t) and _english(i18n.translate(t, "zh"))]


def _has_entry(text: str) -> bool:
    """The table translates `text`: the whole of it, or (several lines) each line with English words."""
    if i18n._lookup(text) is not None:
        return True
    return "\n" in text and all(_has_entry(line) for line in text.split("\n") if _english(line))


def test_every_table_has_the_same_slots_in_key_and_text():
    for table in (i18n.ZH, i18n.ZH_GLUE, i18n.ZH_FIGURES, i18n.ZH_PRINTED):
        for key, text in table.items():
            assert i18n.slots(key) == i18n.slots(text), (key, text)
            assert text == text.strip(), (key, text)  # no stray space where it sits in a Chinese sentence


def test_no_key_is_in_two_tables():
    """ZH, ZH_GLUE, ZH_FIGURES and ZH_PRINTED are merged at import: a key written twice (within one dict
    literal, or in two) would keep one translation silently. Read from the source, not the merge."""
    tree = ast.parse((REPO / "srgan" / "i18n.py").read_text(encoding="utf-8"))
    keys = []
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and target.id in ("ZH", "ZH_GLUE", "ZH_FIGURES", "ZH_PRINTED"):
            keys += [(ast.literal_eval(k), target.id) for k in node.value.keys]
    assert {name for _, name in keys} == {"ZH", "ZH_GLUE", "ZH_FIGURES", "ZH_PRINTED"}
    counts = {}
    for key, name in keys:
        counts.setdefault(key, []).append(name)
    assert {key: names for key, names in counts.items() if len(names) > 1} == {}


def test_number_slots_take_numbers_only():
    assert i18n.translate("3 of 5", "zh") == "3/5"
    assert i18n.translate("+2.9 grey levels of blue", "zh") == "蓝色通道偏高 2.9 个灰度级"  # the sign is a word
    assert i18n.translate("-1.3 grey levels of red", "zh") == "红色通道偏低 1.3 个灰度级"
    assert i18n.translate("1.5 grey levels of green", "zh") == "绿色通道偏移 1.5 个灰度级"
    assert i18n.translate("1,200 (0.6%)", "zh") == "1,200 次（0.6%）"
    assert i18n.translate("3% less time", "zh") == "减少了 3%"
    assert i18n.translate("SRGAN (VGG54)", "zh") == "SRGAN (VGG54)"  # "{#} ({#})" is not "{} ({})"
    assert i18n.translate("share of pixels", "zh") == "share of pixels"
    assert i18n.translate("φ2,2 (vgg22),\nchannel 12\n48x48", "zh") == "φ2,2（vgg22）\n通道 12\n48×48"  # chapter 4's rows


def test_a_list_in_a_slot_takes_the_chinese_enumeration_comma():
    """Numbers or names listed in a slot ("785, 801", "T91, BSDS200") are joined with 、 inside the
    Chinese sentence; other slot contents with commas (the card's machine) are not lists."""
    assert i18n.translate("training data: T91, BSDS200 (paper: 350k ImageNet images)", "zh") == \
        "训练数据：T91、BSDS200（论文：35 万张 ImageNet 图像）"
    caption = i18n.translate("the run's checkpoints every 100 steps on Set14 (model card, `checkpoint_scores`, which also "
                             "scores steps 785, 801); SRResNet: NIQE 7.00, grid contrast 1.04; HR photos: NIQE 4.92", "zh")
    assert "其中还有第 785、801 步的得分" in caption
    header = i18n.translate("**SRGAN** (gan, step 1,200, batch 8 x 96 px, 1.10 h on x86_64, 2 CPU cores, Linux 6.1.0-18, "
                            "Python 3.11.7, paddle 3.0.0)", "zh")
    assert header == ("**SRGAN**（对抗训练，第 1,200 步，批量大小 8、裁剪块 96 像素，训练 1.10 小时，机器：x86_64，2 个 CPU 核心，"
                      "Linux 6.1.0-18，Python 3.11.7，paddle 3.0.0）")
    assert i18n.translate("SRGAN (VGG54), 27.07 dB", "zh") == "SRGAN (VGG54)，27.07 dB"  # not a list


def test_printed_output_only_its_own_lines():
    """translate_output (ci/execute_book.py, the Chinese edition's stdout): the lines of ZH_PRINTED,
    whole or as patterns, indentation kept; a line that only a figure or glue entry matches, printed
    code and numbers stay English; nothing changes in English."""
    verdict = ("Set14: SRGAN (VGG54) gives up 0.81 dB against SRResNet and is LESS natural by NIQE (4.96 vs 7.00; HR 4.92), "
               "grid contrast 1.48")
    order = ("Set5: PSNR order SRGAN-VGG54 > SRGAN-MSE > SRGAN-VGG22 (the reverse of the paper's SRGAN-MSE > SRGAN-VGG22 > "
             "SRGAN-VGG54); most natural by NIQE first: SRGAN-MSE, SRGAN-VGG54, SRGAN-VGG22")
    text = "\n".join([verdict, order, "rose", "step 400", "    loss = content loss", "  model card: step 4,000, batch 8, 2.85 h "
                      "of training in 2 segments", ""])
    assert i18n.translate_output(text) == text
    assert i18n.translate_output(text, "zh").split("\n") == [
        "Set14：SRGAN (VGG54) 的 PSNR 比 SRResNet 低 0.81 dB，按 NIQE 反而不如它自然（4.96 对 7.00；HR 为 4.92），网格对比度 1.48",
        "Set5：按 PSNR 的排序为 SRGAN-VGG54 > SRGAN-MSE > SRGAN-VGG22（恰好颠倒了论文的 SRGAN-MSE > SRGAN-VGG22 > SRGAN-VGG54）；"
        "按 NIQE 从最自然到最不自然：SRGAN-MSE、SRGAN-VGG54、SRGAN-VGG22",
        "rose", "step 400", "    loss = content loss", "  模型卡：第 4,000 步，批量大小 8，共训练 2.85 小时，分 2 段", ""]


def test_printed_columns_aligned_with_spaces_are_left_aligned_in_chinese():
    """Lines whose English right-aligns a label with spaces (chapter 6's f"{label:>14}: grid contrast
    {:5.2f}...", chapter 7's f"{name:>17}: ..." and f"{set:>8} {method:<17} {seconds:6.1f} s") lose that
    padding in Chinese, where a translated label is not as wide as its characters count: each line starts
    at the left, its numbers without their padding. Indentation that is not such a column (a list under
    its heading) and the padding of labels that stay equally wide (chapter 2's two modes) are kept."""
    grid = "\n".join([
        "      SRResNet: grid contrast  0.92, NIQE 6.69; mean SR - HR: R -0.0, G -0.0, B -0.0 grey levels",
        "paper's recipe: grid contrast 14.75, NIQE 6.21; mean SR - HR: R -1.2, G +1.5, B -0.5 grey levels",
        " shipped SRGAN: grid contrast  1.30, NIQE 4.70; mean SR - HR: R +0.0, G +0.0, B +0.1 grey levels", ""])
    assert i18n.translate_output(grid, "zh").split("\n") == [
        "SRResNet：网格对比度 0.92，NIQE 6.69；SR - HR 的均值：R -0.0，G -0.0，B -0.0 个灰度级",
        "论文配方：网格对比度 14.75，NIQE 6.21；SR - HR 的均值：R -1.2，G +1.5，B -0.5 个灰度级",
        "随包发布的 SRGAN：网格对比度 1.30，NIQE 4.70；SR - HR 的均值：R +0.0，G +0.0，B +0.1 个灰度级", ""]
    assert i18n.translate_output(grid) == grid
    times = [f"{folder:>8} {name:<17} {seconds:6.1f} s" for folder in ("Set5", "Set14")
             for name, seconds in (("bicubic", 0.6), ("SRResNet", 12.4))]
    assert i18n.translate_output("\n".join(times), "zh").split("\n") == [
        "Set5 双三次插值：0.6 秒", "Set5 SRResNet：12.4 秒", "Set14 双三次插值：0.6 秒", "Set14 SRResNet：12.4 秒"]
    assert i18n.translate_output("\n".join(times[:2]), "zh") == "Set5 双三次插值：0.6 秒\nSet5 SRResNet：12.4 秒"  # one set
    engines = "\n".join(f"{name:>14}: <repository>/weights/{stem}.safetensors (engine openvino)"
                        for name, stem in (("SRResNet", "srresnet_x4"), ("SRGAN (VGG54)", "srgan_x4")))
    assert i18n.translate_output(engines, "zh").split("\n") == [
        "SRResNet：<repository>/weights/srresnet_x4.safetensors（引擎 openvino）",
        "SRGAN (VGG54)：<repository>/weights/srgan_x4.safetensors（引擎 openvino）"]
    kept = "\n".join(["validation on ['img_001.png'] at steps [40, 80]:", "  PSNR 29.63, 31.09 dB (bicubic 30.98 dB)",
                      "  grid contrast 14.17, 7.19",
                      "eval mode (running statistics)  : min    -23116.71  max     30774.40  std    6351.54",
                      "train mode (batch statistics)   : min        -6.80  max         7.22  std       1.50"])
    assert i18n.translate_output(kept, "zh").split("\n") == [
        "用图像 ['img_001.png'] 验证，验证在第 [40, 80] 步进行：", "  PSNR 29.63、31.09 dB（双三次插值 30.98 dB）", "  网格对比度 14.17、7.19",
        "评估模式（滑动统计量）：最小值    -23116.71  最大值     30774.40  标准差    6351.54",
        "训练模式（批量统计量）：最小值        -6.80  最大值         7.22  标准差       1.50"]


def test_chapter_6s_departures_are_printed_in_chinese():
    """Chapter 6 prints the docstrings of the Trainer methods that depart from the paper, as
    "name: docstring" lines (its prose sends the reader to them): each line, as the chapter makes
    it, has its ZH_PRINTED entry, so a changed docstring fails here instead of printing English."""
    import inspect

    from srgan.train import Trainer

    cells = json.loads((REPO / "book" / "06_srgan.ipynb").read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells if c["cell_type"] == "code" and "departures = (" in "".join(c["source"]))
    names = re.findall(r"Trainer\.(\w+)", source.split("departures = (")[1].split(")")[0])
    assert len(names) >= 5, source
    for name in names:
        method = getattr(Trainer, name)
        line = f"{method.__name__}: {' '.join(inspect.getdoc(method).split())}"
        assert line in i18n.ZH_PRINTED, f"no Chinese for chapter 6's printed line {line!r} (srgan/i18n.py ZH_PRINTED)"
        chinese = re.sub(r'"[^"]*"|all-reduce|float16', "", i18n.translate_output(line, "zh"))  # Paddle's words, a term
        assert not _english(chinese), line


def test_every_glue_phrase_the_chapters_can_produce_has_a_translation():
    """ci/execute_book.py translates the Chinese edition's glue values with srgan.i18n's table: a
    glue() whose value has English words (any branch, f-strings filled with numbers) must come
    out with none left, so a new English phrase without a Chinese entry fails here."""
    found = glued_values()
    names = {name for chapter in found.values() for name in chapter}
    assert len(names) > 100 and {"c6_content_trend", "c8_fold_change", "niqe_word"} <= names  # the scan works
    assert set(GLUE_EXAMPLES) <= names, set(GLUE_EXAMPLES) - names  # examples of glue names that still exist
    values = _dedupe(v for chapter in found.values() for vs in chapter.values() for v in vs)
    assert {"rose", "did not rise", "below HR's level", "1.5 dB below"} <= set(values)
    assert _left_in_english(values + [v for vs in GLUE_EXAMPLES.values() for v in vs]) == []


# Calls that draw text: the title-like ones take it as their first argument; srgan.viz's figures
# and tables take it anywhere in their arguments; any call takes it as one of TEXT_KEYWORDS.
TITLE_CALLS = {"set_title", "set_xlabel", "set_ylabel", "suptitle", "title", "xlabel", "ylabel", "set_label", "annotate"}
VIZ_CALLS = {"table", "image_row", "image_grid", "crops_at_scale", "comparison", "plot_training_log", "plot_validation",
             "plot_gan_log", "plot_perception_plane", "slider", "validation_grids"}
TEXT_KEYWORDS = {"label", "title", "xlabel", "ylabel", "suptitle", "caption", "reference_label", "row_titles"}


def figure_texts(trees: list[ast.AST]) -> list[str]:
    strings, nodes = _Strings(trees), []
    for tree in trees:
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
            if name in TITLE_CALLS and call.args:
                nodes.append(call.args[0])
            elif name == "text" and len(call.args) >= 3:  # ax.text(x, y, s)
                nodes.append(call.args[2])
            elif name in VIZ_CALLS:
                nodes += call.args
            nodes += [k.value for k in call.keywords if k.arg in TEXT_KEYWORDS]
    return _dedupe(s for node in nodes for text in strings.texts(node) for s in strings.values(text))


def test_figure_and_table_texts_of_the_chapters_have_translations():
    """The titles, labels, legends, table headers and captions that srgan.viz and the chapters'
    code draw (as far as the scan reads them) have an entry in the table. (A slot's content, such
    as a file name, may stay English; srgan.viz's functions are read one by one, so that their
    local names do not mix.)"""
    viz = ast.parse((REPO / "srgan" / "viz.py").read_text(encoding="utf-8"))
    texts = [t for function in viz.body if isinstance(function, ast.FunctionDef) for t in figure_texts([function])]
    texts += [t for notebook in CHAPTERS for t in figure_texts(_chapter_trees(notebook))]
    assert {"validation PSNR [dB]", "grid contrast", "colour shift [grey levels]"} <= set(texts)  # the scan works
    assert [t for t in _dedupe(texts) if _english(t) and not _has_entry(t)] == []


def test_markdown_tables_of_the_package_in_chinese_and_unchanged_in_english():
    """evaluate.format_table and release.format_card (chapters 5-7 display them) go through
    translate_markdown: Chinese words in the Chinese edition, numbers and names as they are, the
    delimiter row untouched; in English the text is what it always was."""
    import json

    from srgan.evaluate import format_table
    from srgan.metrics import METRICS
    from srgan.release import format_card

    scores = {m.name: 1.5 for m in METRICS}
    results = {"dataset": "Set14", "scale": 4, "crop_border": 4, "images": [{"name": "img_001.png", **scores}], "mean": scores}
    card = json.loads((REPO / "weights" / "srgan_x4.json").read_text())
    english = {"table": format_table(results), "card": format_card(card)}
    assert "| image " in english["table"] and "Departures from the paper:" in english["card"]
    i18n.set_language("zh")
    try:
        chinese = {"table": format_table(results), "card": format_card(card)}
    finally:
        i18n.set_language("en")
    assert {"table": format_table(results), "card": format_card(card)} == english
    for name, text in chinese.items():
        en_lines, zh_lines = english[name].split("\n"), text.split("\n")
        assert len(zh_lines) == len(en_lines), name
        for en, zh in zip(en_lines, zh_lines):
            if set(en) <= set("|-: "):
                assert zh == en  # the delimiter row, blank lines
            elif en.startswith("|"):
                assert zh.count("|") == en.count("|")  # same cells
            # whatever was a table word or sentence of English is Chinese now
            assert not i18n._looks_english(re.sub(r"[\w.-]+\.safetensors|img_\d+(?: \(\w+\))?|\w+_x\d|x86_64|\d[\w.,-]*|CPU cores|Linux|Python|paddle|Daala|MATLAB", "", zh)), zh
    assert "| img_001 (baboon) | 1.500 | 1.5000 |" in chinese["table"] and "| **均值** |" in chinese["table"]
    set5 = card["scores"]["Set5"]["model"]
    assert (f"| Set5 | {set5['psnr']:.2f} | {set5['ssim_daala']:.4f} | {set5['ssim_matlab']:.4f} | "
            f"{set5['niqe']:.2f} ({set5['niqe_hr']:.2f}) |") in chinese["card"]  # numbers untouched
    # a term the whole lineage had starts its list item with an escaped "+" (still not a list marker)
    assert "与论文的不同之处：" in chinese["card"] and f"- \\+ {card['config']['train']['chroma_weight']:g} × 色度损失" in chinese["card"]
    # a departure of some segments only is scoped to their steps, in Chinese too
    if len(card.get("segments") or []) > 1:
        assert re.search(r"^- 第 [\d,]+-[\d,]+ 步：", chinese["card"], re.M), chinese["card"]


def test_the_slider_menus_and_scores_in_chinese():
    """report.slider_figure (viz.slider in chapters 0 and 7): menus and its score table's words."""
    import numpy as np

    from srgan.report import slider_figure

    images = {"bicubic": np.zeros((8, 8, 3), np.uint8), "HR": np.full((8, 8, 3), 255, np.uint8)}
    scores = {"bicubic": {"psnr": 20.0, "ssim_daala": 0.5, "niqe": 7.0}, "HR": {"niqe": 5.0}}
    english = slider_figure(images, scores=scores)
    assert "<label>left <select" in english and "<th>method</th>" in english and "<td>bicubic</td>" in english
    i18n.set_language("zh")
    try:
        chinese = slider_figure(images, scores=scores)
    finally:
        i18n.set_language("en")
    assert "<label>左侧 <select" in chinese and "<label>右侧 <select" in chinese and "<label>缩放 <select" in chinese
    assert "<th>方法</th>" in chinese and "<td>双三次插值</td>" in chinese
    assert 'value="bicubic"' in chinese  # the menus' values stay the images' keys (the page's script reads them)
    assert 'value="bicubic">双三次插值</option>' in chinese and '<span class="sr-tag sr-tag-left">双三次插值</span>' in chinese
    assert 'value="bicubic">bicubic</option>' in english and '<span class="sr-tag sr-tag-left">bicubic</span>' in english


def test_a_chinese_chapter_prints_in_chinese_while_stderr_and_files_stay_as_written(tmp_path):
    """setup_notebook(language="zh") turns on translate_prints: a reader running a Chinese chapter
    sees the printed lines the built book shows (before, they stayed English when run), a line the
    table does not know unchanged; prints to stderr or a file are never touched, and turning it off
    restores Python's print."""
    import builtins
    import contextlib
    import io

    original = builtins.print
    out, err = io.StringIO(), io.StringIO()
    i18n.translate_prints(True)
    try:
        i18n.translate_prints(True)  # twice: still one layer
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            print("exported in 1.2 s to x/ in a temporary folder")
            print("exported in", "1.2 s to x/ in a temporary folder", sep=" ")
            print("a line of its own")
            print("exported in 1.2 s to x/ in a temporary folder", file=sys.stderr)
            with open(tmp_path / "log.txt", "w") as f:
                print("exported in 1.2 s to x/ in a temporary folder", file=f)
    finally:
        i18n.translate_prints(False)
    assert out.getvalue() == "导出用时 1.2 秒，导出到临时文件夹中的 x/\n" * 2 + "a line of its own\n"
    assert err.getvalue() == "exported in 1.2 s to x/ in a temporary folder\n"
    assert (tmp_path / "log.txt").read_text() == "exported in 1.2 s to x/ in a temporary folder\n"
    assert builtins.print is original
    from srgan import notebook

    with contextlib.redirect_stdout(io.StringIO()):
        notebook.setup_notebook({"SRGAN_SHARED": str(tmp_path)}, language="zh")
    try:
        assert builtins.print is not original  # the Chinese setup cell turns it on
    finally:
        i18n.translate_prints(False)
        i18n.set_language("en")
