"""The language of the book's figures and tables: English, or Chinese for the Chinese edition.

The Chinese edition (book/zh, made by ci/zh.py) runs the same code cells as the English one;
its only code difference is the setup cell's `setup_notebook(language="zh")`, which calls
`set_language("zh")`. From then on, in that kernel:

  - every text a matplotlib figure draws (titles, axis and tick labels, legends, annotations,
    whether srgan.viz or the chapter's own code drew it) goes through `translate`, and
    matplotlib sets it in a font with Chinese glyphs (`cjk_font`);
  - srgan.viz.table translates its header, caption and cells the same way.

`translate` looks a text up in ZH, the one English -> Chinese table: first the whole text, then
line by line; a key with "{}" slots is a pattern whose slots match anything and are carried
over (so "step 400, 27.07 dB" finds "step {}, {} dB"). Text that is not in the table (numbers,
names such as SRResNet or Set5, identifiers) stays as it is. With $SRGAN_UNTRANSLATED set to a
file path, each text that has ASCII words but no entry is appended to that file (the book job
lists them, so the table can follow the chapters).

The glue values the prose quotes ({glue:text}) are translated with the same table when the book
is built (ci/execute_book.py), because a reader running a notebook never sees them.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

LANGUAGES = ("en", "zh")
_language = "en"

# Fonts with the Chinese glyphs, most wanted first: Debian's fonts-noto-cjk (what the book job
# installs), Adobe's name for the same design, then common Linux, Windows and macOS fonts.
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Noto Sans CJK JP")

# English -> Chinese for the figures and tables of the book (terms: book/zh/TERMINOLOGY.md).
# "{}" is a slot (see the module docstring); entries are checked for equal slot counts by the tests.
ZH: dict[str, str] = {
    # --- axes and panels shared by several figures ---
    "step": "步数",
    "D updates": "判别器更新次数",
    "validation": "验证集",
    "validation PSNR [dB]": "验证集 PSNR [dB]",
    "validation SSIM": "验证集 SSIM",
    "training {}": "训练{}",
    "training loss": "训练损失",
    "bicubic, same images": "双三次插值（相同图像）",
    "bicubic, Set5": "双三次插值，Set5",
    "continued, fresh schedule": "接续训练（重新开始学习率计划）",
    "segment {}: {}": "第 {} 段：{}",
    "segment {}": "第 {} 段",
    "bicubic": "双三次插值",
    "original": "原图",
    "generator": "生成器",
    "LR (nearest)": "LR（最近邻放大）",
    "step {}, {} dB": "第 {} 步，{} dB",
    "step {}": "第 {} 步",
    "{}: validation grids (dB: mean PSNR over the validation images)": "{}：验证图像网格（dB：验证图像的平均 PSNR）",
    "{} (whole)": "{}（全图）",
    # plot_gan_log
    "G: content loss": "生成器：内容损失",
    "G: adversarial loss −log D(G(LR))": "生成器：对抗损失 −log D(G(LR))",
    "D loss (dashed: 2 ln 2, chance)": "判别器损失（虚线：2 ln 2，随机猜测）",
    "D's mean output, log (dashed: 0.5)": "判别器平均输出，对数轴（虚线：0.5）",
    "validation NIQE (lower = more natural)": "验证集 NIQE（越低越自然）",
    # plot_perception_plane
    "PSNR [dB]  (right = less distortion)": "PSNR [dB]（越靠右失真越小）",
    "NIQE  (down = more natural)": "NIQE（越靠下越自然）",
    "HR photos' NIQE": "HR 照片的 NIQE",
    "dial α (0 = SRResNet, 1 = SRGAN)": "调节系数 α（0 = SRResNet，1 = SRGAN）",
    # comparison / crops
    "{}: {} px, shown {}:1": "{}：{} 像素窗口，按 {}:1 显示",
}


def language() -> str:
    """The language set by `set_language` ("en" unless the Chinese edition set "zh")."""
    return _language


def set_language(name: str) -> str | None:
    """Draw figures and tables in `name` ("en" or "zh") from now on; returns the CJK font used for "zh".

    Args:
        name: "en" (the default, nothing changes) or "zh" (Chinese text, a CJK font, see the
            module docstring).

    Returns:
        For "zh", the family of the CJK font matplotlib will use, or None when none is
        installed (a line says how to install one); None for "en".
    """
    global _language
    if name not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {name!r}")
    _language = name
    if name == "en":
        _translate_figure_text(False)
        return None
    font = cjk_font()
    if font is None:
        print("no font with Chinese glyphs is installed, so figures would show empty boxes: install one "
              "(Debian/Ubuntu: apt-get install fonts-noto-cjk; conda: conda install -c conda-forge font-ttf-noto-cjk), "
              "then restart the kernel")
    _use_font(font)
    _translate_figure_text(True)
    return font


def cjk_font() -> str | None:
    """The first of CJK_FONTS that matplotlib finds on this machine, or None.

    matplotlib lists the system's fonts once, into a cache file (~/.cache/matplotlib), and never
    looks again: a font installed after that (`apt-get install fonts-noto-cjk` on AI Studio, then
    a kernel restart, as set_language advises) would stay unknown. So when none of CJK_FONTS is
    listed, the system's font files the list lacks are added to it (FontManager.addfont) and it
    is searched once more.
    """
    from matplotlib import font_manager

    def listed() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    found = listed()
    if found is None:
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # a file FreeType cannot read: matplotlib skips those too
                    continue
        found = listed()
    return found


def _use_font(font: str | None) -> None:
    """Make matplotlib set Latin text in DejaVu Sans (as in the English edition) and Chinese in
    `font`: a list of families, which matplotlib (>= 3.6) searches glyph by glyph."""
    import matplotlib

    if font is not None:
        matplotlib.rcParams["font.family"] = ["DejaVu Sans", font]


_original_set_text = None


def _translate_figure_text(on: bool) -> None:
    """Route every matplotlib Text through `translate` (on) or restore matplotlib's own set_text.

    One hook in matplotlib's Text.set_text, which every title, label, legend entry, tick label
    and annotation goes through, so the chapters' code needs no change for the Chinese edition.
    """
    global _original_set_text
    from matplotlib.text import Text

    if on and _original_set_text is None:
        _original_set_text = Text.set_text

        def set_text(self, s):
            _original_set_text(self, translate(s) if isinstance(s, str) else s)

        Text.set_text = set_text
    elif not on and _original_set_text is not None:
        Text.set_text = _original_set_text
        _original_set_text = None


@lru_cache(maxsize=None)
def _patterns() -> list[tuple[re.Pattern, str]]:
    """ZH's keys with "{}" slots as regular expressions, longest (most specific) first."""
    entries = sorted(((k, v) for k, v in ZH.items() if "{}" in k), key=lambda kv: -len(kv[0]))
    return [(re.compile("^" + "(.+?)".join(map(re.escape, k.split("{}"))) + "$", re.S), v) for k, v in entries]


def _lookup(text: str) -> str | None:
    if text in ZH:
        return ZH[text]
    for pattern, target in _patterns():
        m = pattern.match(text)
        if m:
            parts = target.split("{}")
            slots = [translate(g, "zh") for g in m.groups()]  # a slot may itself be a table entry ("bicubic")
            return parts[0] + "".join(s + p for s, p in zip(slots, parts[1:]))
    return None


def translate(text: str, language: str | None = None) -> str:
    """`text` in the current language (see the module docstring); unchanged in English.

    Args:
        text: an English text of a figure or table; several lines are translated whole, else
            line by line.
        language: override the current language ("zh" to translate whatever is set).
    """
    if (language or _language) != "zh" or not text or not text.strip():
        return text
    found = _lookup(text)
    if found is not None:
        return found
    if "\n" in text:
        return "\n".join(translate(line, "zh") for line in text.split("\n"))
    _note_untranslated(text)
    return text


_WORD = re.compile(r"[A-Za-z][A-Za-z'()-]*[A-Za-z)]|[A-Za-z]")


def _looks_english(text: str) -> bool:
    """True when `text` has a lowercase English word of 3+ letters (names such as SRResNet,
    Set5, VGG54 or D(HR) have capitals or digits; numbers and units have no such word)."""
    return any(len(w) >= 3 and w.islower() for w in _WORD.findall(text))


def _note_untranslated(text: str) -> None:
    """Append `text` to $SRGAN_UNTRANSLATED when it looks like English words (not a number or a name)."""
    path = os.environ.get("SRGAN_UNTRANSLATED")
    if not path or not _looks_english(text):
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(text.replace("\n", "\\n") + "\n")
