"""The language of the book's figures and tables: English, or Chinese for the Chinese edition.

The Chinese edition (book/zh, made by ci/zh.py) runs the same code cells as the English one;
its only code difference is the setup cell's `setup_notebook(language="zh")`, which calls
`set_language("zh")`. From then on, in that kernel:

  - every text a matplotlib figure draws (titles, axis and tick labels, legends, annotations,
    whether srgan.viz or the chapter's own code drew it) goes through `translate`, and
    matplotlib sets it in a font with Chinese glyphs (`cjk_font`);
  - srgan.viz.table translates its header, caption and cells the same way.

`translate` looks a text up in ZH, the one English -> Chinese table: first the whole text, then
line by line; a key with slots is a pattern whose slots are carried over in order: "{}" matches
any text, "{#}" only a number such as 1,200, +2.9, 0.6% or 3e-07 (so "step 400, 27.07 dB" finds
"step {}, {} dB", and "3 of 5" finds "{#} of {#}" while "share of pixels" does not). ZH is
written in three parts merged at import: ZH itself, ZH_GLUE (the glue phrases below) and
ZH_FIGURES (figure and table texts of the chapters). Text that is not in the table (numbers,
names such as SRResNet or Set5, identifiers) stays as it is. With $SRGAN_UNTRANSLATED set to a
file path, each text that has ASCII words but no entry is appended to that file (the book job
lists them, so the table can follow the chapters).

The glue values the prose quotes ({glue:text}) are translated with the same table when the book
is built (ci/execute_book.py), because a reader running a notebook never sees them.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache

# matplotlib is imported where the figures' fonts are set up: it takes about a second to load,
# and the English edition, the tables and the CLI never need it here.

LANGUAGES = ("en", "zh")
_language = "en"

# Fonts with the Chinese glyphs, most wanted first: Debian's fonts-noto-cjk (what the book job
# installs), Adobe's name for the same design, then common Linux, Windows and macOS fonts.
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Noto Sans CJK JP")

# English -> Chinese for the figures and tables of the book (terms: book/zh/TERMINOLOGY.md).
# "{}" and "{#}" are slots (see the module docstring); the tests check that key and text have the same ones.
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
    "continued, fresh schedule": "继续训练（学习率调度重新开始）",
    "continued, fresh schedule: {}": "继续训练（学习率调度重新开始）：{}",
    "{#} (step {#}): {}": "{#}（第 {#} 步）：{}",
    "D {} norm": "判别器 {} 归一化",
    "D spectral norm": "判别器改用谱归一化",
    "— (not in the paper)": "—（论文中没有）",
    "bicubic vs HR: pixels and VGG19 features (scaled by 1/12.75)": "双三次插值与 HR 对比：像素和 VGG19 特征（乘以 1/12.75）",
    "colours 0 to {#}": "颜色范围 0 到 {#}",
    "colours 0 to {#}\nmean {#}": "颜色范围 0 到 {#}\n均值 {#}",
    "a spectrally normalised discriminator replaced the paper's after step {#}": "第 {#} 步之后，谱归一化的判别器取代了论文的判别器",
    "its discriminator is the paper's": "判别器是论文的",
    "350k ImageNet images": "35 万张 ImageNet 图像",
    "continued": "继续训练",
    "continued: {}": "继续训练：{}",
    "segment {}: {}": "第 {} 段：{}",
    "segment {}": "第 {} 段",
    "bicubic": "双三次插值",
    "original": "原图",
    "generator": "生成器",
    "LR (nearest)": "LR（最近邻放大）",
    "step {}, {} dB": "第 {} 步，{} dB",
    "step {}": "第 {} 步",
    "{}: validation grids (dB: mean PSNR over the validation images)": "{}：验证对比图（dB：验证图像的平均 PSNR）",
    "{} (whole)": "{}（全图）",
    # plot_gan_log
    "G: content loss": "生成器：内容损失",
    "G: adversarial loss −log D(G(LR))": "生成器：对抗损失 −log D(G(LR))",
    "D loss (dashed: 2 ln 2, chance)": "判别器损失（虚线：2 ln 2，随机猜测）",
    "D's mean output (logit scale)\nblue: HR, orange: G(LR), dashed: 0.5": "判别器平均输出（logit 坐标轴）\n蓝色：HR，橙色：G(LR)，虚线：0.5",
    "validation NIQE (lower = more natural)": "验证集 NIQE（越低越自然）",
    # plot_perception_plane
    "PSNR [dB]  (right = less distortion)": "PSNR [dB]（越靠右失真越小）",
    "NIQE  (down = more natural)": "NIQE（越靠下越自然）",
    "HR photos' NIQE": "HR 照片的 NIQE",
    "dial α (0 = SRResNet, 1 = SRGAN)": "调节系数 α（0 = SRResNet，1 = SRGAN）",
    # comparison / crops
    "{}: {} px, shown {}:1": "{}：{} 像素窗口，按 {}:1 显示",
    # glue values with words that chapters 0-3 quote in their prose (book/zh/0[0-3]_*.yml reads
    # them inside Chinese sentences, e.g. "它的 NIQE 也 {glue:text}`niqe_word` SRResNet")
    "lower": "低于",
    "not lower": "并不低于",
    "red {#}": "红色通道 {#}",
    "green {#}": "绿色通道 {#}",
    "blue {#}": "蓝色通道 {#}",
    "{#} million": "{#}×10⁶",
    "higher than": "高于",
    "no higher than": "不高于",
    "each D is accurate only in the setting it was trained in": "每个判别器只在它训练时所用的设置下才准确",
    "the pattern is not clear-cut in this run: compare the rows number by number": "这次运行的规律并不分明：请逐个数字比较各行",
    # chapter 0: "- **颜色。** {没有可见的色偏}：……"; "……对真实裁剪块则是 …：{判别器已经饱和，……}。"
    "No visible cast": "没有可见的色偏",
    "A colour cast, which PSNR and SSIM, computed on the luminance, hardly see": "有色偏，而在亮度上计算的 PSNR 和 SSIM 几乎察觉不到它",
    "D was saturated, almost certain which crops were generated": "判别器已经饱和，几乎总能确定哪些裁剪块是生成的",
    "D was saturated over most of the log, almost certain which crops were generated, but not in the last segment "
    "(its median D(G(LR)) {#})":
        "在日志的大部分时间里判别器是饱和的，几乎总能确定哪些裁剪块是生成的，但在最后一段中不再饱和（该段 D(G(LR)) 的中位数为 {#}）",
    "D was not saturated": "判别器没有饱和",
    # chapter 2: "双三次插值（0.7×）和 SRResNet（0.8×）{…}"; "……高于 HR：{…}"; "它是 HR 水平的 0.6×，{…}";
    # "随包发布的 SRGAN 的裁剪块{没有这种点阵}"
    "stay below it on average: smoothing removes pattern rather than adding it": "平均都低于这一水平：平滑只会去掉图案，而不会添加图案",
    "do not both stay below it": "并不都低于这一水平",
    "it draws a period-4 grid aligned with the LR pixels": "它画出了一张与 LR 像素对齐、周期为 4 的网格",
    "no clear grid": "看不出明显的网格",
    "below HR's level": "低于 HR 的水平",
    "at HR's level": "与 HR 的水平相当",
    "above HR's level": "高于 HR 的水平",
    "has no such dots": "没有这种点阵",
    "has a pattern of its own there": "在那里也有它自己的图案",
}


# Glue values: the words that ci/execute_book.py translates in the Chinese edition's prose
# ({glue:text}), written to be read inside the translators' sentences of book/zh/*.yml: no space
# at either end, and "{#}" number slots where the English wraps a number, so that a pattern such
# as "{#} of {#}" cannot catch a figure's "share of pixels" or "{#} ({#})" a name like
# "SRGAN (VGG54)". tests/test_i18n.py scans the chapters' glue() calls and fails on a phrase
# that has no entry. (Chapters 0-3's phrases are in ZH above.)
ZH_GLUE: dict[str, str] = {
    # chapter 4: '"Comparable" {holds} for φ5,4' -> "“尺度相当”这一说法对 φ5,4 …成立"
    "holds": "成立",
    "does not hold": "不成立",
    # chapter 6: "对抗损失权重从论文的 10⁻³ 分几步提高：{0.003（自第 3,000 步起）和 0.1（自第 9,900 步起）}"
    "{#} from step {#}": "{#}（自第 {#} 步起）",
    "{#} from step {#} and {#} from step {#}": "{#}（自第 {#} 步起）和 {#}（自第 {#} 步起）",
    "{#} from step {#}, {#} from step {#} and {#} from step {#}":
        "{#}（自第 {#} 步起）、{#}（自第 {#} 步起）和 {#}（自第 {#} 步起）",
    "{#} from step {#}, {#} from step {#}, {#} from step {#} and {#} from step {#}":
        "{#}（自第 {#} 步起）、{#}（自第 {#} 步起）、{#}（自第 {#} 步起）和 {#}（自第 {#} 步起）",
    "the paper's throughout": "始终不变",
    "what it does (the first sentence of its docstring)": "作用（其文档字符串第一句的译文）",
    # chapter 6's table of the trainer's departures: each method's first docstring sentence (a
    # docstring changed in English shows in English here until this entry follows it)
    "Not in the paper (cfg.train.d_warmup_steps): a D step with G held fixed, so that released generator weights "
    "continue against a trained critic, not a random one.":
        "论文中没有（cfg.train.d_warmup_steps）：固定 G、只训练 D 一步，使继续训练已发布的生成器权重时，面对的是训练过的判别器而不是随机的判别器。",
    "Not in the paper (cfg.train.d_renew_every): replace D by a new one (fresh initialisation and Adam state), which "
    "_d_warmup_step then trains alone.":
        "论文中没有（cfg.train.d_renew_every）：用一个新的 D（重新初始化，Adam 状态也清空）替换原来的 D，然后由 _d_warmup_step 单独训练它。",
    "l_X, the configured content loss (the paper's SRGAN: VGG54), plus, not in the paper, cfg.train.gan_pixel_weight "
    "times the pixel loss beside it (logged as part of l_X).":
        "l_X，即配置的内容损失（论文的 SRGAN：VGG54）；另外加上论文中没有的 cfg.train.gan_pixel_weight 倍逐像素损失（记录为 l_X 的一部分）。",
    "l_Gen = -log D(G(LR)) (Eq. 6); or, not in the paper (cfg.train.gan_loss \"relativistic\"), ESRGAN's relativistic "
    "form, which also needs D's logits on HR (no gradient: this step trains G only).":
        "l_Gen = −log D(G(LR))（式 6）；或者采用论文中没有的 ESRGAN 相对判别器形式（cfg.train.gan_loss \"relativistic\"），"
        "这时还需要 D 在 HR 上的 logit（不求梯度：这一步只训练 G）。",
    "Not in the paper: the weighted lattice penalty (cfg.train.lattice_weight), low-frequency loss "
    "(cfg.train.lowfreq_weight), chroma loss (cfg.train.chroma_weight), LR-consistency loss "
    "(cfg.train.lr_consistency_weight), LDL's artifact loss (cfg.train.artifact_weight) and the texture losses "
    "(cfg.train.texture_weight, texture_direction_weight) added to G's loss.":
        "论文中没有：在 G 的损失上加上带权重的网格惩罚（cfg.train.lattice_weight）、低频损失（cfg.train.lowfreq_weight）、"
        "色度损失（cfg.train.chroma_weight）、LR 一致性损失（cfg.train.lr_consistency_weight）、LDL 的伪影损失"
        "（cfg.train.artifact_weight）和纹理损失（cfg.train.texture_weight、texture_direction_weight）。",
    "Not in the paper: float16 autocast on a GPU when cfg.train.amp (a no-op otherwise).":
        "论文中没有：cfg.train.amp 开启时在 GPU 上用 float16 自动混合精度（否则什么也不做）。",
    "Backward and one optimizer step through the AMP grad scaler (plain backward/step without AMP).":
        "通过 AMP 梯度缩放器做反向传播和一步优化（不用 AMP 时就是普通的 backward/step）。",
    # chapter 5: "比双三次插值{高 0.12 dB}", "选 L1 还是 MSE 的影响{更小}"
    "{#} dB above": "高 {#} dB",
    "{#} dB below": "低 {#} dB",
    "the smaller": "更小",
    "the larger": "更大",
    "(not run: ablation=False)": "（未运行：ablation=False）",
    "(never)": "（从未）",
    "(none)": "（无）",
    # chapter 6: "D 的损失{…}，平均输出分别为 {0.52 和 0.48}"
    "stayed above 2 ln 2 at every logged step (lowest {#})": "在记录的每一步都高于 2 ln 2（最低 {#}）",
    "went below 2 ln 2 at {#} of {#} logged steps (lowest {#})": "有 {#} 步低于 2 ln 2（共记录 {#} 步，最低 {#}）",
    "{#} and {#}": "{#} 和 {#}",
    # "网格对比度还是从 0.98 变成了 {…}：{verdict}"; the names are also the table's row labels
    "{#} with the lattice penalty and {#} without it (paper's recipe)": "{#}（加网格惩罚）和 {#}（不加惩罚，即论文配方）",
    "{#} with the lattice penalty": "{#}（加网格惩罚）",
    "{#} paper's recipe": "{#}（论文配方）",
    "a period-4 lattice has appeared in every run, penalty or not": "无论加不加惩罚，每次训练中都出现了周期为 4 的网格",
    "the grid contrast stayed within twice its start in at least one run": "至少有一次训练的网格对比度仍在起始值的两倍以内",
    "{}; without the penalty it ended {#}× higher": "{}；不加惩罚时，它最终是加惩罚时的 {#} 倍",
    "{#} dB with the penalty and {#} dB without it": "加惩罚时 {#} dB，不加时 {#} dB",
    "with the penalty": "加惩罚时",
    "without it": "不加时",
    "Batch norm is not the main cost": "批量归一化不是主要开销",
    "on the whole photo above, tiled, it was the faster of the two ({#} s against oneDNN's {#} s)":
        "在上面整张照片上（分块处理），它是两者中较快的一个（{#} 秒，oneDNN 为 {#} 秒）",
    "on the whole photo above, tiled, it was the slower of the two ({#} s against oneDNN's {#} s)":
        "在上面整张照片上（分块处理），它是两者中较慢的一个（{#} 秒，oneDNN 为 {#} 秒）",
    "on this machine there is no OpenVINO engine, so the default is oneDNN": "这台机器上没有 OpenVINO 引擎，所以默认用 oneDNN",
    # chapter 7: the shipped SRGAN against the SRResNet, set by set ("..., and on Set14 ...": the rest translated in turn)
    "It does: {}": "是的：{}",
    "Not on every set: {}": "并非在每个数据集上都如此：{}",
    "on {} it gives up {#} dB for NIQE {#} → {#} (HR {#}), and {}": "在 {} 上它损失 {#} dB，NIQE 从 {#} 变为 {#}（HR 为 {#}）；{}",
    "on {} it gives up {#} dB for NIQE {#} → {#} (HR {#})": "在 {} 上它损失 {#} dB，NIQE 从 {#} 变为 {#}（HR 为 {#}）",
    "(no SRGAN scored)": "（没有为 SRGAN 打分）",
    "In direction, not in size": "方向一致，幅度却不同",  # the shipped SRGAN's PSNR cost against the paper's (Table 2)
    "In direction and in size": "方向和幅度都一致",
    "above": "高于",
    "not above": "并不高于",
    "Batch norm costs dygraph time here": "在这里批量归一化确实占用了动态图的时间",
    "the 33 batch norms run at LR resolution and are cheap next to the convolutions, so whether an engine folds them is "
    "not what makes it fast": "33 个批量归一化层在低分辨率上运行，与卷积相比开销很小，所以引擎是否折叠它们并不是引擎快的原因",
    "on a tile this small each of the 33 batch norms is an operation of its own that dygraph dispatches from Python; an "
    "engine folds them, which is part of its speed, not all of it":
        "在这么小的分块上，33 个批量归一化层各是一个单独的算子，由动态图从 Python 逐个调度；推理引擎会把它们折叠掉，这是引擎快的原因之一，但不是全部",
    "{#} with the penalty and {#} without it": "加惩罚时 {#}，不加时 {#}",
    # "网格对比度的最终值：{只用 VGG54 … 时为 15.90，…}。由此可见：{…；…；…}。" (live runs changing one setting)
    "{#} with VGG54 alone (no adversarial term), {#} with pixel MSE in place of VGG54 and {#} at a learning rate of 10⁻⁵":
        "只用 VGG54（不加对抗损失）时为 {#}，用逐像素 MSE 代替 VGG54 时为 {#}，学习率为 10⁻⁵ 时为 {#}",
    "(not run: quick=False or lattice_weight=0)": "（未运行：quick=False 或 lattice_weight=0）",
    "(not run)": "（未运行）",
    "{}; {}; {}": "{}；{}；{}",
    "VGG54 drew the lattice without D's term too": "不加 D 的损失项时，VGG54 同样画出了网格",
    "VGG54 alone stayed near the start": "只用 VGG54 时网格对比度停留在起始值附近",
    "pixel MSE drew much less of it in these steps": "在这几步里，逐像素 MSE 画出的网格要少得多",
    "pixel MSE drew it as well": "逐像素 MSE 也画出了网格",
    "a ten times smaller step kept the start's level": "步长缩小到十分之一时，网格对比度保持在起始水平",
    "a ten times smaller step did not prevent it": "步长缩小到十分之一也没能阻止它",
    "(no MSE run card here)": "（这里没有 MSE 训练的模型卡）",
    # "内容损失{没有上升}：前一半记录的均值为 0.154，后一半为 0.153"; "验证 PSNR 比其最好值低 … dB，{…}"
    "rose": "有所上升",
    "did not rise": "没有上升",  # the second half's mean is not above the first's
    # chapter 5: "网格对比度在第一次验证时为 14.17，最后一次为 7.56，{…}"
    "still well above a photo's (the tiny network leaves a period-4 pattern; at the size the grids below are drawn, "
    "the eye hardly sees it)":
        "仍远高于照片的水平（这个小网络留下了周期为 4 的图案；按下面验证对比图的显示尺寸，肉眼几乎看不出来）",
    "close to a photo's": "接近照片的水平",
    # chapter 7: whether the SRResNet's released step was picked by its Set5 validation
    "its released step is its last, not one picked by those scores": "它发布的是最后一步，而不是按这些得分挑出来的一步",
    "its released step was picked by those scores, which flatters its Set5 row a little":
        "它发布的那一步是按这些得分挑出来的，所以它在 Set5 上的那一行会略微偏好",
    "its card has no learning curve to tell": "它的模型卡里没有学习曲线，无从判断",
    "somewhat above a photo's": "略高于照片的水平",

    "far from a collapse of several dB": "远谈不上几个 dB 的崩溃",
    "{#} times in {#} records while it was saturated (single batches that fooled it) and {#} times in {#} after":
        "{#} 次（在它饱和期间的 {#} 条记录中：个别批次骗过了它），之后 {#} 次（{#} 条记录中）",
    "{#} times in {#} records": "{#} 次（{#} 条记录中）",
    "it moved most at step {#}, from {#} to {#}, where a spectrally normalised D replaced the paper's":
        "它在第 {#} 步变化最大，从 {#} 变为 {#}：谱归一化的判别器正是在那里取代了论文的判别器",
    "it moved most at step {#}, from {#} to {#}, where the adversarial weight went from {#} to {#}":
        "它在第 {#} 步变化最大，从 {#} 变为 {#}：对抗损失权重正是在那里从 {#} 变为 {#}",
    "it moved most at step {#}, from {#} to {#}, where the run went on with other weights":
        "它在第 {#} 步变化最大，从 {#} 变为 {#}：训练正是在那里换了其他损失权重继续",
    "one segment only": "只有一段",
    "a collapse": "已是一次崩溃",
    # "检查结果：**{D 已饱和}**"; the note: "它的判别器{在大部分训练中处于饱和状态}"
    # "判别器用的是{…}"; "网络插值……：{…}"
    "the paper's discriminator up to step {#} and a spectrally normalised one (Miyato et al. 2018, as in Real-ESRGAN) after it":
        "论文的判别器（到第 {#} 步为止），之后换成谱归一化的判别器（Miyato 等，2018；与 Real-ESRGAN 相同）",
    "the paper's discriminator": "论文的判别器",
    "{#} × the SRResNet's weights + {#} × the trained ones": "{#} × SRResNet 的权重 + {#} × 训练得到的权重",
    "not applied: the trained weights themselves": "未使用：直接发布训练得到的权重",
    "D was saturated until step {#}, and not after": "D 在第 {#} 步之前是饱和的，之后不再饱和",
    "D was saturated until step {#}, when a spectrally normalised D replaced the paper's, and not after":
        "D 在第 {#} 步之前是饱和的；那一步谱归一化的判别器取代了论文的判别器，此后不再饱和",
    "it adds a bicubic upsampling of the input to its output, which the paper's does not":
        "它把输入的双三次上采样加到输出上，论文的网络没有这一项",
    "its layers are the paper's": "它的网络层与论文相同",
    "{#} of its {#} steps used an L1 pixel loss (the paper: MSE)": "其中 {#} 步（共 {#} 步）用的是 L1 逐像素损失（论文：均方误差）",
    "its {#} steps used pixel MSE, as the paper's": "它的 {#} 步训练都用逐像素均方误差，与论文相同",
    "was saturated until step {#} and not after": "在第 {#} 步之前处于饱和状态，之后不再饱和",
    "Up to step {#} D won almost every round: the non-saturating form of the adversarial loss kept its gradient from "
    "vanishing, but a D that sure of itself tells G little more than that all of it is fake; after it, D tells G's images "
    "from photos only in part: it is no longer saturated":
        "在第 {#} 步之前，D 几乎每一轮都赢：对抗损失的非饱和形式让它的梯度不至于消失，但一个如此笃定的 D 告诉 G 的，几乎只有"
        "“全都是假的”；此后，D 只能部分地区分 G 的图像和照片：它不再饱和",
    # chapter 6: the validation table read across the spectral D's arrival
    "from step {#}, the last validation with the paper's D, NIQE rose to {#} (step {#}) and went {#} → {#} by the last step; "
    "over the same steps PSNR went {#} → {#} dB, the grid contrast {#} → {#} and the colour shift {#} → {#}":
        "从第 {#} 步（使用论文 D 的最后一次验证）起，NIQE 升到 {#}（第 {#} 步），到最后一步时从 {#} 变为 {#}；同一段步数里，"
        "PSNR 从 {#} 变为 {#} dB，网格对比度从 {#} 变为 {#}，颜色偏移从 {#} 变为 {#}",
    "NIQE ended where it was before the change": "NIQE 最终回到了更换之前的水平",
    "NIQE ended lower than before the change": "NIQE 最终低于更换之前",
    "NIQE ended higher than before the change": "NIQE 最终高于更换之前",
    "the shipped lineage kept the paper's D throughout": "发布的这条训练线始终使用论文的 D",
    "there is no change of D to read": "没有 D 的更换可读",
    "D is saturated": "D 已饱和",
    "D is not saturated": "D 没有饱和",
    "was saturated for most of its training": "在大部分训练中处于饱和状态",
    "was not saturated": "没有饱和",
    "D wins almost every round: the non-saturating form of the adversarial loss keeps its gradient from vanishing, "
    "but a D this sure of itself tells G little more than that all of it is fake":
        "D 几乎每一轮都赢：对抗损失的非饱和形式让它的梯度不至于消失，但一个如此笃定的 D 告诉 G 的，几乎只有“全都是假的”",
    "D tells G's images from photos only in part, so its gradient still carries information":
        "D 只能部分地区分 G 的图像和照片，所以它的梯度仍然带有信息",
    # "在对抗损失权重更高的最后一段，D {没那么有把握了}"
    "less sure of itself": "没那么有把握了",
    "no less sure of itself": "并没有变得更没把握",
    "{#} grey levels": "{#} 个灰度级",
    "R {#}, G {#}, B {#}": "R {#}，G {#}，B {#}",  # "各通道与 HR 的平均差为 {R +0.28，G +0.27，B +0.35} 个灰度级"
    # "{滑动平均让网格对比度更稳定}：从第 1,000 步起……"
    "The average steadies the grid": "滑动平均让网格对比度更稳定",
    "The average does not steady the grid here": "在这里滑动平均并没有让网格对比度更稳定",
    # "变化超过 0.25 的次数为 {12/99}" (also chapter 2's "在 {3/5} 张图像上", chapter 7's "占 {8/14}")
    "{#} of {#}": "{#}/{#}",
    "{#} to {#}": "{#} 到 {#}",
    # "对抗损失对网格的要求比 VGG 损失{更多}，而且{…}"
    "more": "更多",
    "less": "更少",
    "neither gradient is concentrated on the lattice beyond white noise": "两种梯度在网格上的集中程度都没有超过白噪声",
    "the {} gradient is concentrated there beyond white noise": "{}梯度在网格上的集中程度超过了白噪声",
    "the {} gradients are concentrated there beyond white noise": "{}梯度在网格上的集中程度都超过了白噪声",
    "content": "内容",  # srgan.lattice_study.loss_gradients' names, joined by " and "
    "adversarial": "对抗",
    "content and adversarial": "内容和对抗",
    "adversarial and content": "对抗和内容",
    # the colour cast: "色偏（在本章的照片上{蓝色通道偏高 2.9 个灰度级}）", "相当于整幅图像{…}"; the
    # chapters format it with a sign (+2.9, -1.3), which becomes the word 偏高 / 偏低 (no brackets, which
    # the sentences around it already use); an unsigned number (a reader's own format) as a shift
    "+{#} grey levels of red": "红色通道偏高 {#} 个灰度级",
    "+{#} grey levels of green": "绿色通道偏高 {#} 个灰度级",
    "+{#} grey levels of blue": "蓝色通道偏高 {#} 个灰度级",
    "-{#} grey levels of red": "红色通道偏低 {#} 个灰度级",
    "-{#} grey levels of green": "绿色通道偏低 {#} 个灰度级",
    "-{#} grey levels of blue": "蓝色通道偏低 {#} 个灰度级",
    "{#} grey levels of red": "红色通道偏移 {#} 个灰度级",
    "{#} grey levels of green": "绿色通道偏移 {#} 个灰度级",
    "{#} grey levels of blue": "蓝色通道偏移 {#} 个灰度级",
    # chapter 7: "只完成了论文配方 2·10⁵ 次更新中的 {1,200 次（0.6%）}"
    "{#} ({#})": "{#} 次（{#}）",
    "(no card)": "（没有模型卡）",
    "(not checked: no reference image)": "（未检查：没有参考图像）",
    # "这几次训练在 Set14 上的排名为 A > B > C，{…}：{…}"
    "on every set here that order is {} the paper's Set5 order {}": "在这里的每个数据集上，这一排序都{}论文在 Set5 上的排序 {}",
    "that order is {} the paper's Set5 order {} on {} and {} it on {}": "这一排序{}论文在 Set5 上的排序 {}（{}），{}它（{}）",  # two sets that disagree
    "The PSNR orderings are the paper's.": "按 PSNR 的排序与论文相同。",
    "The PSNR orderings are not the paper's.": "按 PSNR 的排序与论文不同。",
    "The PSNR ordering is the paper's on some sets only.": "按 PSNR 的排序只在部分数据集上与论文相同。",
    "that order is {} the paper's Set5 order {} on {}": "这一排序{}论文在 Set5 上的排序 {}（{}）",
    "the same as": "等同于",
    "the reverse of": "恰好颠倒了",
    "different from": "不同于",
    "VGG54, the paper's lowest, is {} here": "论文中 PSNR 最低的 VGG54 在这里排名{}",
    "the highest": "最高",
    "the middle": "居中",
    "the lowest": "最低",
    # "…（在 Set14 上为 6.3），并且{…}"
    "the run with the strongest lattice is last on both PSNR and NIQE": "网格最强的那次训练在 PSNR 和 NIQE 上都排在最后",
    "the strongest lattice does not simply rank last": "网格最强的那次训练并不简单地排在最后",
    # "……各通道与 HR 的平均差为 R +0.28, G +0.27, B +0.35 个灰度级：{没有可见的色偏}"; "它的平均 NIQE 为 4.83，{接近 HR 的值}（4.92）"
    "no visible cast": "没有可见的色偏",
    "a colour cast": "有色偏",
    "close to HR's": "接近 HR 的值",
    "above HR's": "高于 HR 的值",
    "below HR's": "低于 HR 的值",
    # "两者之间的调节系数描出了它们之间的曲线：{…}"
    "each step of α buys NIQE with PSNR": "α 每走一步，都是用 PSNR 换来更低的 NIQE",
    "not every step of α buys NIQE with PSNR (at {#} of the {#} steps NIQE does not fall; the dial's table)":
        "并不是 α 的每一步都用 PSNR 换来了更低的 NIQE（有 {#} 步 NIQE 没有下降，共 {#} 步；见调节系数表）",
    # chapter 8: "使动态图网络的耗时{减少了 3%}{（…）}，{远小于}下面尾部卷积的影响"
    "{#} less time": "减少了 {#}",
    "{#} more time": "增加了 {#}",
    "the same time within 0.5%": "不变（相差不到 0.5%）",
    "{#} more time (noise: folding only removes work)": "增加了 {#}（这是测量噪声：折叠只会减少计算量）",
    "far smaller than": "远小于",
    "comparable to": "堪比",
    "none": "无",
    "n/a": "不适用",
    # "用静态图执行代替由 Python 逐层调度的执行，{…}"
    "does not by itself make the network faster": "本身并不会让网络变快",
    "makes it faster here, but far less than the kernels below": "在这里让网络变快了，但远不及下面这些内核",
}

# Figure and table texts the chapters draw (titles, axis labels, legends, table headers, captions
# and word cells of srgan.viz and of the notebooks' own code) that ZH above does not have.
# Merged below without replacing an entry of ZH: ZH's own entry wins (tests/test_i18n.py fails
# on a key defined in two of the three tables).
ZH_FIGURES: dict[str, str] = {
    # srgan.viz
    "loss": "损失",  # plot_training_log's default legend label (the log's loss key)
    "{#} steps each, same validation images": "每次 {#} 步，相同的验证图像",
    "the two runs with the global residual, on their own scale": "带双三次全局残差的两次训练（使用各自的纵轴范围）",
    "{}: training log": "{}：训练日志",
    # viz.segment_change: what a later segment of a card changed ("continued: adv_weight 0.1, lowfreq_weight 0"),
    # config fields as the legend names them, in words; a list of them is read field by field ("..., {}")
    "pixel_loss l1": "像素损失改为 L1",
    "pixel_loss mse": "像素损失改为 MSE",
    "D spectral norm, {}": "判别器改用谱归一化，{}",
    "pixel_loss {}": "像素损失改为 {}",
    "pixel_loss {}, {}": "像素损失改为 {}，{}",
    "content_loss {}": "内容损失改为 {}",
    "content_loss {}, {}": "内容损失改为 {}，{}",
    "adv_weight {#}": "对抗损失权重 {#}",
    "adv_weight {#}, {}": "对抗损失权重 {#}，{}",
    "gan_loss {}": "对抗损失形式 {}",
    "gan_loss {}, {}": "对抗损失形式 {}，{}",
    "lattice_weight {#}": "网格惩罚权重 {#}",
    "lattice_weight {#}, {}": "网格惩罚权重 {#}，{}",
    "lowfreq_weight {#}": "低频损失权重 {#}",
    "lowfreq_weight {#}, {}": "低频损失权重 {#}，{}",
    "chroma_weight {#}": "色度损失权重 {#}",
    "chroma_weight {#}, {}": "色度损失权重 {#}，{}",
    "lr_consistency_weight {#}": "LR 一致性损失权重 {#}",
    "lr_consistency_weight {#}, {}": "LR 一致性损失权重 {#}，{}",
    "artifact_weight {#}": "伪影损失权重 {#}",
    "artifact_weight {#}, {}": "伪影损失权重 {#}，{}",
    "texture_weight {#}": "纹理损失权重 {#}",
    "texture_weight {#}, {}": "纹理损失权重 {#}，{}",
    "texture_direction_weight {#}": "纹理走向损失权重 {#}",
    "texture_direction_weight {#}, {}": "纹理走向损失权重 {#}，{}",
    "ema_decay {#}": "EMA 衰减 {#}",
    "ema_decay {#}, {}": "EMA 衰减 {#}，{}",
    "d_renew_every {#}": "每 {#} 步更换判别器",
    "d_renew_every {#}, {}": "每 {#} 步更换判别器，{}",
    "{}, {#} dB": "{}，{#} dB",
    "validation {} [dB]": "验证集 {} [dB]",  # plot_validation's axis for another score than PSNR
    "validation {}": "验证集 {}",
    "validation NIQE": "验证集 NIQE",  # plot_validation's panels: "validation" as its PSNR panel says it (ch5 validates on Set5, ch6 on the selection set)
    "validation grid contrast": "验证集网格对比度",  # plot_validation's panels (chapter 6)
    "validation colour shift": "验证集颜色偏移",
    "validation colour speckle": "验证集彩色噪点",
    "{} (Table 1, {#} steps)": "{}（表 1，{#} 步）",
    "{} ({#}x{#})": "{}（{#}x{#}）",
    # chapter 0
    "chelsea, x4: its most detailed 160 x 160 window": "chelsea，×4：细节最丰富的 160 × 160 窗口",
    "colour shift [grey levels]": "颜色偏移 [灰度级]",
    "mean SR - HR: red / green / blue": "SR - HR 的均值：红 / 绿 / 蓝",
    # chapter 1
    "cubic(x): interpolation\n(upscaling)": "cubic(x)：插值\n（放大）",
    "0.25 cubic(x/4): antialiased\n(shrinking x4)": "0.25 cubic(x/4)：抗混叠\n（缩小为 1/4）",
    "distance in input pixels": "距离（输入像素）",
    "Keys' cubic kernel, a = -0.5": "Keys 三次卷积核，a = -0.5",
    "input pixel index": "输入像素序号",
    "weight": "权重",
    "output pixel 8 of a 64 -> 16 shrink: {#} taps": "64 → 16 缩小中的第 8 个输出像素：{#} 个抽头",
    "set": "数据集",
    "resizer": "缩放方法",
    "LR pixels that differ from the file": "与文件不同的 LR 像素",
    "largest difference": "最大差异",
    "bicubic PSNR change [dB]": "双三次插值 PSNR 的变化 [dB]",
    "srgan.imresize (MATLAB algorithm)": "srgan.imresize（MATLAB 算法）",
    "the 8 symmetries: flip_h (h), flip_v (v), transpose (t)": "8 种对称变换：flip_h (h)、flip_v (v)、transpose (t)",
    # chapter 2
    "stage": "阶段",
    "output shape (N, C, H, W)": "输出形状 (N, C, H, W)",
    "input (LR)": "输入（LR）",
    "head conv k9n64s1 + PReLU": "头部卷积 k9n64s1 + PReLU",
    "16 residual blocks": "16 个残差块",
    "conv k3n64s1 + BN (before the long skip)": "卷积 k3n64s1 + BN（长跳跃连接之前）",
    "upsample block {#} (k3n256s1, shuffle x2, PReLU)": "上采样块 {#}（k3n256s1，像素重排 ×2，PReLU）",
    "tail conv k9n3s1": "尾部卷积 k9n3s1",
    "part": "部分",
    "parameters": "参数量",
    "share": "占比",
    "head": "头部",
    "residual blocks": "残差块",
    "conv + BN before skip": "长跳跃连接之前的卷积 + BN",
    "upsampling": "上采样",
    "tail": "尾部",
    "**total**": "**合计**",
    "channel {#}": "通道 {#}",
    "image": "图像",
    "SRGAN, paper recipe": "SRGAN，论文配方",
    "SRGAN (shipped)": "SRGAN（随包发布）",
    "**mean**": "**均值**",
    "mean / HR's": "均值 / HR 的均值",
    "largest deviation of the 4x4 phase pattern of Y [grey levels]": "Y 通道 4×4 相位图案的最大偏差 [灰度级]",
    "paper recipe\n- SRResNet (Y)": "论文配方 − SRResNet 之差\n（Y 通道）",
    "{}, {#} px at ({#}, {#}), shown 4:1": "{}，{#} 像素窗口，位于 ({#}, {#})，按 4:1 显示",
    # chapter 3
    "conv": "卷积层",
    "output (N, C, H, W)": "输出 (N, C, H, W)",
    "after conv": "经过的卷积层",
    "receptive field": "感受野",
    "jump": "跳距",
    "log |d feature(3,3) / d input|": "log |d 特征(3,3) / d 输入|",
    "|d feature(3,3) / d input|": "|d 特征(3,3) / d 输入|",
    "log10 |gradient|": "log10 |梯度|",
    "input x [px]": "输入 x [像素]",
    "input y [px]": "输入 y [像素]",
    "trained on one batch": "在混合批量上训练",
    "trained with two calls (the trainer)": "分两次调用训练（训练器的做法）",
    "measured in\n{}": "测量设置：\n{}",
    "eval mode": "评估模式",
    "train mode, two calls": "训练模式，两次调用",
    "train mode, one batch": "训练模式，混合批量",
    "held-out accuracy\n(mean, min-max of {#} seeds)": "留出裁剪块上的准确率\n（{#} 个随机种子的均值与最小–最大值）",
    "held-out accuracy after {#} updates, mean (min-max) over {#} seeds; chance is 50 %":
        "{#} 次更新后留出裁剪块上的准确率，{#} 个随机种子的均值（最小–最大值）；随机猜测为 50 %",
    # chapter 4
    "one sharp candidate": "一个清晰的候选",
    "another (shift +1, +1)": "另一个（平移 +1, +1）",
    "MSE-optimal: the average": "MSE 最优：平均图像",
    "bicubic upscaling": "双三次插值放大",
    "zeros on chelsea": "零值占比（chelsea）",
    "cosine between the 4 photos' average features": "四张照片平均特征两两间的余弦相似度",
    "random weights": "随机权重",
    "method (chelsea)": "方法（chelsea）",
    "trained": "训练好的",
    "trained: VGG19 from {} ({} input convention)": "训练好的：VGG19，来自 {}（{} 输入约定）",
    "trained: RANDOM-weight VGG19 (no ImageNet weights available)": "训练好的：随机权重的 VGG19（没有可用的 ImageNet 权重）",
    "φ5,4 summed over its 512 channels ({#}x{#})": "φ5,4 在 512 个通道上求和（{#}×{#}）",
    "HR crop": "HR 裁剪块",
    "bicubic version": "双三次插值结果",
    "squared difference,\nsummed over channels": "差的平方，\n对通道求和",
    "pixels (RGB)": "像素（RGB）",
    "φ{} ({}),": "φ{}（{}）",  # the line ends there: no comma in Chinese (zh reader s21)
    "content loss of bicubic vs HR": "双三次插值相对 HR 的内容损失",
    "with the rescale": "缩放后",
    "without": "不缩放",
    "relative to pixel MSE": "相对逐像素均方误差",
    "pixel MSE (Eq. 4)": "逐像素 MSE（式 (4)）",
    "{} MSE (Eq. 5)": "{} MSE（式 (5)）",
    "{}; VGG_FEATURE_SCALE = 1/{#}, loss factor {#}": "{}；VGG_FEATURE_SCALE = 1/{#}，损失因子 {#}",
    "content loss": "内容损失",
    "expected loss of the sharp candidate": "清晰候选的期望损失",
    "of the average": "平均图像的期望损失",
    "average / sharp": "平均 / 清晰",
    "prefers": "偏好",
    "the sharp candidate": "清晰的候选",
    "the blurred average": "模糊的平均图像",
    "way": "方式",
    "gradient: relative difference to autograd": "梯度：与自动微分的相对差异",
    "seconds": "秒",
    "speed vs autograd": "相对自动微分的速度",
    "autograd through the VGG (dygraph)": "经过 VGG 的自动微分（动态图）",
    "InferenceVGGLoss (Paddle Inference, oneDNN)": "InferenceVGGLoss（Paddle Inference，oneDNN）",
    "VGGLossVJP in dygraph": "动态图中的 VGGLossVJP",
    "{}; φ5,4 loss of 4 bicubic {#} px crops against HR, on this machine ({})":
        "{}；4 个 {#} 像素双三次插值裁剪块相对 HR 的 φ5,4 损失，在本机（{}）上",
    "bicubic (the SR input)": "双三次插值（SR 的输入）",
    "|dl/dSR|, autograd": "|dl/dSR|，自动微分",
    "|dl/dSR|, Paddle Inference": "|dl/dSR|，Paddle Inference",
    "-log D  (paper, Eq. 6)": "-log D（论文式 (6)）",
    "log(1 - D)  (original GAN)": "log(1 - D)（原始 GAN）",
    "D's logit on a generated image": "D 对生成图像的 logit",
    "generator loss": "生成器损失",
    "|gradient| of -log D": "-log D 的 |梯度|",
    "|d generator loss / d logit|": "|d 生成器损失 / d logit|",
    "|gradient| of log(1 - D)": "log(1 - D) 的 |梯度|",
    "D's logit": "D 的 logit",
    "relative to MSE": "相对 MSE",
    "to VGG22": "相对 VGG22",
    "to VGG54": "相对 VGG54",
    "adversarial weight (TrainConfig.adv_weight, the paper's) = {#}": "对抗损失权重（TrainConfig.adv_weight，论文的取值）= {#}",
    # chapter 5
    "field": "字段",
    "this run": "本次运行",
    "paper": "论文",
    "live run: {#} blocks x {#} channels, global skip True, {}": "演示训练：{#} 个残差块 × {#} 个通道，带双三次全局残差，{} 损失",
    "live run: {#} blocks x {#} channels, global skip False, {}": "演示训练：{#} 个残差块 × {#} 个通道，无双三次全局残差，{} 损失",
    "live run: {#} blocks x {#} channels, global skip {}, {}": "演示训练：{#} 个残差块 × {#} 个通道，双三次全局残差：{}，{} 损失",
    "live model": "演示训练的模型",
    "shipped SRResNet": "随包发布的 SRResNet",
    "live quick model ({#} steps)": "演示训练的快速模型（{#} 步）",
    "skip + L1 (the run above)": "全局残差 + L1（上面的演示训练）",
    "skip + MSE": "全局残差 + MSE",
    "no skip + L1": "无全局残差 + L1",
    "no skip + MSE (paper)": "无全局残差 + MSE（论文）",
    "run": "实验",  # the header of chapter 5's and chapter 6's tables of runs
    "last validation PSNR [dB]": "最后一次验证的 PSNR [dB]",
    "vs bicubic [dB]": "相对双三次插值 [dB]",
    # chapter 6
    # the chapter's content_loss parameter, named as the prose names the losses
    "live run: vgg54 + {#} adversarial, from the shipped SRResNet": "演示训练：VGG54 + {#} 对抗损失，从随包发布的 SRResNet 出发",
    "live run: vgg54 + {#} adversarial + {#} lattice penalty, from the shipped SRResNet":
        "演示训练：VGG54 + {#} 对抗损失 + {#} 网格惩罚，从随包发布的 SRResNet 出发",
    "live run: vgg22 + {#} adversarial, from the shipped SRResNet": "演示训练：VGG22 + {#} 对抗损失，从随包发布的 SRResNet 出发",
    "live run: vgg22 + {#} adversarial + {#} lattice penalty, from the shipped SRResNet":
        "演示训练：VGG22 + {#} 对抗损失 + {#} 网格惩罚，从随包发布的 SRResNet 出发",
    "live run: mse + {#} adversarial, from the shipped SRResNet": "演示训练：MSE + {#} 对抗损失，从随包发布的 SRResNet 出发",
    "live run: mse + {#} adversarial + {#} lattice penalty, from the shipped SRResNet":
        "演示训练：MSE + {#} 对抗损失 + {#} 网格惩罚，从随包发布的 SRResNet 出发",
    "live run: {} + {#} adversarial, from the shipped SRResNet": "演示训练：{} + {#} 对抗损失，从随包发布的 SRResNet 出发",
    "validation images": "验证图像",
    "grid contrast": "网格对比度",
    "start: shipped SRResNet (step 0)": "起点：随包发布的 SRResNet（第 0 步）",
    "{}, step {#}": "{}，第 {#} 步",
    "with the lattice penalty": "加网格惩罚",
    "paper's recipe": "论文配方",
    "without it (paper's recipe)": "不加惩罚（论文配方）",
    "VGG54 alone (no adversarial term)": "只用 VGG54（不加对抗损失）",
    "pixel MSE in place of VGG54": "用逐像素 MSE 代替 VGG54",
    "learning rate 10⁻⁵ (not 10⁻⁴)": "学习率 10⁻⁵（而不是 10⁻⁴）",
    "scored on {} images {}: their mean, not the whole set's score": "在 {} 的图像 {} 上评分：这是它们的平均值，而不是整个数据集的得分",
    "shipped SRGAN: training log ({#} steps)": "随包发布的 SRGAN：训练日志（{#} 步）",
    "the trainer's validation on the selection set every {#} steps (training log; every {#}th and the last shown): "
    "the running average's scores": "训练器每 {#} 步在挑选集上的验证结果（来自训练日志；每 {#} 步及最后一次显示一次）：滑动平均权重的得分",
    "the validations read below: the last with the paper's D, NIQE's highest after it, the last step "
    "(the trained weights, before the blend with the SRResNet)":
        "下文解读的几次验证：使用论文判别器的最后一次、其后 NIQE 最高的一次、最后一步（训练得到的权重，与 SRResNet 混合之前）",
    "one term at a time: the selection set every {#} steps": "每次只加一项：每 {#} 步在挑选集上的得分",
    "run A: + lattice {#}": "实验 A：+ 网格惩罚 {#}",
    "run D: A + low-frequency {#}": "实验 D：A + 低频损失 {#}",
    "run E: D + chroma {#}": "实验 E：D + 色度损失 {#}",
    "run G: E, lattice {#}": "实验 G：E，网格惩罚 {#}",
    "run I: G, chroma {#}, average": "实验 I：G，色度损失 {#}，滑动平均",
    "each run at the last step all five reached, then the longer runs at their last validation":
        "五次实验都跑到的最后一步的得分，然后是较长的几次实验在最后一次验证时的得分",
    "the run's checkpoints every {#} steps on {} (model card, `checkpoint_scores`, which also scores steps {}); "
    "SRResNet: NIQE {#}, grid contrast {#}; HR photos: NIQE {#}":
        "这次训练每 {#} 步一个检查点在 {} 上的得分（模型卡的 `checkpoint_scores`，其中还有第 {} 步的得分）；"
        "SRResNet：NIQE {#}，网格对比度 {#}；HR 照片：NIQE {#}",
    "paper's recipe (Table 1 runs)": "论文配方（表 1 的几次训练）",
    "step 0 (SRResNet)": "第 0 步（SRResNet）",
    "{} content loss": "{} 内容损失",
    "grid contrast on Set14 (about 1 for a photo), model cards' `checkpoint_scores`":
        "Set14 上的网格对比度（照片约为 1），来自模型卡的 `checkpoint_scores`",
    "shipped SRGAN": "随包发布的 SRGAN",
    "shipped SRGAN-MSE": "随包发布的 SRGAN-MSE",
    "grid {#}, NIQE {#}": "网格对比度 {#}，NIQE {#}",
    # chapter 7
    "method": "方法",
    "paper: PSNR / SSIM": "论文：PSNR / SSIM",
    "NIQE (lower = more natural)": "NIQE（越低越自然）",
    "grid contrast (photo ≈ 1)": "网格对比度（照片 ≈ 1）",
    "colour speckle [× the photo's]": "彩色噪点 [× 照片的值]",  # plot_validation's panels
    "grid ratio (HR = 1)": "网格比（HR = 1）",
    "grid measures on 32x32 windows, 4-pixel border removed; HR rows: the photos' own values":
        "网格指标在 32×32 窗口上计算，去掉 4 像素边界；HR 行：照片自身的数值",
    "steps": "步数",
    "spectral": "谱归一化",
    "lattice": "网格惩罚",  # chapter 6's segment table: one column per loss weight
    "low-frequency": "低频",
    "chroma": "色度",
    "LR-consistency": "LR 一致性",
    "EMA decay": "EMA 衰减",
    "BN (paper)": "BN（论文）",
    "the shipped SRGAN's segments (model card): D and the loss weights of each (the paper: BN, adversarial 0.001, "
    "no other term, no average)": "随包发布的 SRGAN 的各段（模型卡）：每一段的判别器和各项损失权重（论文：BN，对抗 0.001，没有其他项，没有滑动平均）",
    "dial": "调节系数",
    "{} {}, x4, whole image": "{} {}，×4，全图",
    # chapter 8
    "input (LR pixels enlarged)": "输入（LR 像素放大显示）",
    "bicubic x4": "双三次插值 ×4",
    "generator x4 ({})": "生成器 ×4（{}）",
    "generator x4\n({})": "生成器 ×4\n（{}）",
    "SRGAN x4\n(--weights srgan)": "SRGAN ×4\n（--weights srgan）",
    "α = {#}\n(--perception {#})": "α = {#}\n（--perception {#}）",
    "{}: the middle {#}x{#} LR pixels": "{}：中间 {#}×{#} 个 LR 像素",
    "{}: the middle {#}x{#} LR pixels, 1:1": "{}：中间 {#}×{#} 个 LR 像素，1:1",
    "{}: its most detailed {#}x{#} LR pixels, output pixels 1:1": "{}：细节最多的 {#}×{#} 个 LR 像素，输出像素 1:1",
    "{}:\nits most detailed {#}x{#} LR pixels, output pixels 1:1": "{}：\n细节最多的 {#}×{#} 个 LR 像素，输出像素 1:1",
    "{} (centre {#}x{#})": "{}（中心 {#}×{#}）",
    "{} (PSNR of the whole image)": "{}（PSNR 按整幅图像计算）",
    "{#} x {#} tiles (tile={#}, tile_pad={#}): one tile's kept part (yellow) and what the network sees for it (red)":
        "{#} × {#} 个分块（tile={#}，tile_pad={#}）：一个分块保留下来的部分（黄色）和网络为它看到的输入（红色）",
    "largest difference (grey levels)": "最大差异（灰度级）",
    "pixels that differ": "不同的像素",
    "Tiles of 32 LR pixels on a 96x96 crop, against the whole crop at once:": "在 96×96 的裁剪块上按 32 个 LR 像素分块，与整块一次处理相比：",
    "engine": "引擎",
    "ms per input": "每个输入的耗时 [ms]",
    "output megapixels/s": "输出速度（百万像素/秒）",
    "speed-up": "加速比",
    "max difference from dygraph": "与动态图的最大差异",
    "dygraph (the package's generator)": "动态图（本包的生成器）",
    "dygraph, batch norm folded": "动态图，折叠批量归一化",
    "dygraph, stock tail conv": "动态图，标准尾部卷积",
    "Paddle Inference, plain kernels": "Paddle Inference，plain 内核",
    "Paddle Inference, oneDNN": "Paddle Inference，oneDNN",
    "Paddle Inference, OpenVINO": "Paddle Inference，OpenVINO",
    "Paddle Inference, GPU": "Paddle Inference，GPU",
    "{#}x{#} LR -> {#}x{#} SR, {}, device {}, fastest of {#} runs, engines in turn":
        "{#}×{#} LR → {#}×{#} SR，{}，设备 {}，{#} 次运行中最快的一次，各引擎轮流运行",
    # evaluate.format_table (chapter 7): its caption and the headings of metrics.METRICS
    "{} (x{#}, {}, {#}-pixel border removed). NIQE: lower is more natural, HR's is the reference; "
    "grid: 1 = as lattice-free as HR (ratio), ~1 for a photo, >1 a visible period-{#} lattice (contrast); "
    "colour shift: largest per-channel mean SR - HR in grey levels (RGB); "
    "colour speckle: fine chroma detail over HR's (1 = the photo's); -: not defined for that image (too small, or "
    "no colour to measure: a gray image, or for colour speckle an HR without fine colour detail)":
        "{}（x{#}，{}，去掉 {#} 像素的边界）。NIQE：越低越自然，以 HR 的值为参照；"
        "网格：1 = 与 HR 一样没有网格伪影（网格比），照片约为 1，>1 表示可见的周期 {#} 网格（网格对比度）；"
        "颜色偏移：SR 与 HR 各通道均值之差的最大值，单位为灰度级（RGB）；"
        "彩色噪点：细微色度细节相对 HR 的倍数（1 = 与照片相同）；-：该图像上没有定义（图像太小，或没有可度量的颜色："
        "灰度图像，或者对彩色噪点而言，HR 没有细微的颜色细节）",
    "{#} (median)": "{#}（中位数）",  # the table's mean row, where a score is the images' median
    "{#} ({#} inf left out)": "{#}（不计 {#} 个 inf）",  # evaluate.format_table: a flat image's infinite PSNR
    "**bicubic**": "**双三次插值**",  # the per-image tables' headings (format_table's caption), one per method
    "**shipped SRGAN**": "**随包发布的 SRGAN**",
    "**shipped SRGAN-MSE**": "**随包发布的 SRGAN-MSE**",
    "Y channel": "Y 通道",
    "NIQE HR": "HR 的 NIQE",
    "grid ratio": "网格比",
    "colour shift": "颜色偏移",
    "colour speckle": "彩色噪点",
    # report.slider_figure (viz.slider, chapters 0 and 7): the menus of the before/after slider
    "left": "左侧",
    "right": "右侧",
    "zoom": "缩放",
    # release.format_card (chapters 5 and 6): the model card's summary and departures
    "**{}** ({}, step {#}, batch {#} x {#} px, {#} h on {}, paddle {})":
        "**{}**（{}，第 {#} 步，批量大小 {#}、裁剪块 {#} 像素，训练 {#} 小时，机器：{}，paddle {}）",
    "**{}** ({}, step {#}, batch {#} x {#} px in the last segment, {#} h on {}, paddle {})":
        "**{}**（{}，第 {#} 步，最后一段批量大小 {#}、裁剪块 {#} 像素，训练 {#} 小时，机器：{}，paddle {}）",
    # srgan.machine.machine_description, the card's machine: "x86_64, 2 CPU cores, Linux 6.1.0, Python 3.11.7"
    "{}, {#} CPU cores, {}, Python {}": "{}，{#} 个 CPU 核心，{}，Python {}",
    "Network interpolation: {#} x {} + {#} x {}; the second is the trained generator this card describes "
    "(step {#} counted over its whole lineage).":
        "网络插值：{#} × {} + {#} × {}；后者就是这张模型卡所描述的训练得到的生成器（第 {#} 步：从第二阶段开始、跨过各段训练累计的步数）。",
    "network interpolation (ESRGAN Sec. 3.4): the weights are {#} x {} + {#} x {} (paper: the trained generator itself)":
        "网络插值（ESRGAN 第 3.4 节）：权重为 {#} × {} + {#} × {}（论文：直接使用训练得到的生成器）",
    "pretrain": "预训练",
    "gan": "对抗训练",
    "phase unknown": "阶段未知",
    "NIQE (HR's in parentheses)": "NIQE（括号内为 HR 的值）",
    "bicubic PSNR / SSIM (Daala) / NIQE": "双三次插值 PSNR / SSIM (Daala) / NIQE",
    "Departures from the paper:": "与论文的不同之处：",
    "architecture: a global bicubic skip (SR = network output + bicubic upsampling of the input) that is not in "
    "the paper; everything else is the paper's SRResNet":
        "结构：论文中没有的双三次全局残差（SR = 网络输出 + 输入的双三次插值上采样）；其余与论文的 SRResNet 相同",
    "batch of {#} (paper: {#})": "批量大小 {#}（论文：{#}）",
    "{#} steps (paper: {#})": "{#} 步（论文：{#}）",
    "Adam lr {#}, cosine decay to {#} (paper: 1e-4 constant)": "Adam 学习率 {#}，余弦衰减到 {#}（论文：恒定的 1e-4）",
    "steps {#}-{#}: Adam lr {#}, cosine decay to {#} (paper: 1e-4 constant)":
        "第 {#}-{#} 步：Adam 学习率 {#}，余弦衰减到 {#}（论文：恒定的 1e-4）",
    "steps {#}-{#}: HR crops of {#} px (paper: {#})": "第 {#}-{#} 步：{#} 像素的 HR 裁剪块（论文：{#}）",
    "pixel loss {} (paper: MSE)": "像素损失 {}（论文：MSE）",
    "training data: {} (paper: 350k ImageNet images)": "训练数据：{}（论文：35 万张 ImageNet 图像）",
    "training data: {} less the selection set's {#} photos (paper: 350k ImageNet images)":
        "训练数据：{}，不含挑选集的 {#} 张照片（论文：35 万张 ImageNet 图像）",
    "content loss: Real-ESRGAN's perceptual loss, L1 between the features before the ReLU of phi_1,2, phi_2,2, "
    "phi_3,4, phi_4,4 and phi_5,4 weighted 0.1, 0.1, 1, 1, 1, scaled to the strength of the paper's loss (paper: MSE "
    "of phi_5,4)":
        "内容损失：Real-ESRGAN 的感知损失，即 phi_1,2、phi_2,2、phi_3,4、phi_4,4 和 phi_5,4 在 ReLU 之前的特征之间的 L1，"
        "权重分别为 0.1、0.1、1、1、1，并缩放到与论文损失相当的强度（论文：phi_5,4 的 MSE）",
    "\\+ {#} x lattice penalty: SR's period-{#} lattice energy beyond HR's, per {#} px window "
    "(against the pixel-shuffle grid; paper: no such term)":
        "\\+ {#} × 网格惩罚：SR 超出 HR 的周期 {#} 网格能量，按每个 {#} 像素窗口计算（针对像素重排的网格；论文：没有这一项）",
    "adversarial weight {#} (paper: {#})": "对抗损失权重 {#}（论文：{#}）",
    "\\+ {#} x low-frequency loss: pixel MSE of SR and HR averaged over {#}x{#} blocks (against phase {#}'s colour "
    "drift; paper: no such term)":
        "\\+ {#} × 低频损失：SR 与 HR 在 {#}×{#} 块上取平均后的像素 MSE（针对第 {#} 阶段的颜色漂移；论文：没有这一项）",
    "\\+ {#} x chroma loss: pixel MSE of SR's and HR's Cb and Cr (against invented colour, speckle and cast; luma, "
    "where the texture is, stays free; paper: no such term)":
        "\\+ {#} × 色度损失：SR 与 HR 的 Cb、Cr 通道的像素 MSE（针对臆造的颜色、彩色噪点和色偏；纹理所在的亮度通道不受约束；论文：没有这一项）",
    "the released weights are an exponential moving average of G's (decay {#}, about {#} steps; as ESRGAN's code; "
    "paper: the last weights)":
        "发布的权重是 G 权重的指数滑动平均（衰减系数 {#}，大致相当于对最近约 {#} 步的权重取平均；与 ESRGAN 的代码相同；论文：最后一步的权重）",
    # a departure of one segment of a lineage ("steps 0-3,000: + 3000 x lattice penalty: ..."): its "+" is not
    # escaped there (it does not start the list item), so those terms have unescaped entries too
    "steps {#}-{#}: {}": "第 {#}-{#} 步：{}",
    "+ {#} x lattice penalty: SR's period-{#} lattice energy beyond HR's, per {#} px window "
    "(against the pixel-shuffle grid; paper: no such term)":
        "+ {#} × 网格惩罚：SR 超出 HR 的周期 {#} 网格能量，按每个 {#} 像素窗口计算（针对像素重排的网格；论文：没有这一项）",
    "+ {#} x low-frequency loss: pixel MSE of SR and HR averaged over {#}x{#} blocks (against phase {#}'s colour "
    "drift; paper: no such term)":
        "+ {#} × 低频损失：SR 与 HR 在 {#}×{#} 块上取平均后的像素 MSE（针对第 {#} 阶段的颜色漂移；论文：没有这一项）",
    "+ {#} x chroma loss: pixel MSE of SR's and HR's Cb and Cr (against invented colour, speckle and cast; luma, "
    "where the texture is, stays free; paper: no such term)":
        "+ {#} × 色度损失：SR 与 HR 的 Cb、Cr 通道的像素 MSE（针对臆造的颜色、彩色噪点和色偏；纹理所在的亮度通道不受约束；论文：没有这一项）",
    "\\+ {#} x LR-consistency loss: MSE of SR's MATLAB-bicubic x{#} downscale and the LR input (pins what the input "
    "fixes; paper: no such term)":
        "\\+ {#} × LR 一致性损失：SR 经 MATLAB 双三次插值缩小 {#} 倍后与 LR 输入之间的 MSE（约束输入已确定的内容；论文：没有这一项）",
    "+ {#} x LR-consistency loss: MSE of SR's MATLAB-bicubic x{#} downscale and the LR input (pins what the input "
    "fixes; paper: no such term)":
        "+ {#} × LR 一致性损失：SR 经 MATLAB 双三次插值缩小 {#} 倍后与 LR 输入之间的 MSE（约束输入已确定的内容；论文：没有这一项）",
    "\\+ {#} x artifact loss: L1 of SR and HR where SR's residual varies from pixel to pixel and G is worse than its "
    "running average (LDL, Liang et al. {#}; paper: no such term)":
        "\\+ {#} × 伪影损失：在 SR 的残差逐像素起伏、且 G 不如它的滑动平均的地方，计算 SR 与 HR 的 L1（LDL，Liang 等，{#}；论文：没有这一项）",
    "\\+ {#} x texture-direction loss: L1 of SR's and HR's detail orientation vectors, weighted by HR's detail "
    "energy (which way fine texture runs; paper: no such term)":
        "\\+ {#} × 纹理走向损失：SR 与 HR 细节方向向量之间的 L1，按 HR 的细节能量加权（细纹理朝哪个方向；论文：没有这一项）",
    "\\+ {#} x texture loss: L1 of SR's and HR's structure tensors of the luma detail band (which way fine texture "
    "runs and how much; paper: no such term)":
        "\\+ {#} × 纹理损失：SR 与 HR 亮度细节频带的结构张量之间的 L1（细纹理朝哪个方向、有多少；论文：没有这一项）",
    "+ {#} x artifact loss: L1 of SR and HR where SR's residual varies from pixel to pixel and G is worse than its "
    "running average (LDL, Liang et al. {#}; paper: no such term)":
        "+ {#} × 伪影损失：在 SR 的残差逐像素起伏、且 G 不如它的滑动平均的地方，计算 SR 与 HR 的 L1（LDL，Liang 等，{#}；论文：没有这一项）",
    "+ {#} x texture-direction loss: L1 of SR's and HR's detail orientation vectors, weighted by HR's detail "
    "energy (which way fine texture runs; paper: no such term)":
        "+ {#} × 纹理走向损失：SR 与 HR 细节方向向量之间的 L1，按 HR 的细节能量加权（细纹理朝哪个方向；论文：没有这一项）",
    "+ {#} x texture loss: L1 of SR's and HR's structure tensors of the luma detail band (which way fine texture "
    "runs and how much; paper: no such term)":
        "+ {#} × 纹理损失：SR 与 HR 亮度细节频带的结构张量之间的 L1（细纹理朝哪个方向、有多少；论文：没有这一项）",
    "discriminator: spectral normalisation instead of BN (Miyato et al. {#}, as Real-ESRGAN; paper: batch "
    "normalisation)": "判别器：用谱归一化代替 BN（Miyato 等，{#}；与 Real-ESRGAN 相同；论文：批量归一化）",
    "the first {#} steps train a new discriminator alone against the fixed generator (it continues released weights "
    "whose discriminator was not kept; paper: D and G from the start)":
        "前 {#} 步只训练一个新的判别器，生成器保持不变（它接着训练的是已发布的权重，而那次训练的判别器没有保留；论文：D 和 G 从一开始就一起训练）",
    "every {#} steps the discriminator is replaced by a new one, which trains alone for {#} steps (a long-trained D "
    "lets colour speckle creep back; paper: one D throughout)":
        "每 {#} 步换一个新的判别器，新判别器先单独训练 {#} 步（训练久了的 D 会让彩色噪点重新出现；论文：自始至终只用一个 D）",
    # plot_validation's axes with their units (chapter 6's recipe curves)
    "validation grid contrast (photo ≈ 1)": "验证集网格对比度（照片 ≈ 1）",
    "validation colour shift [grey levels]": "验证集颜色偏移 [灰度级]",
    "validation colour speckle [× the photo's]": "验证集彩色噪点 [× 照片的值]",
}

# Lines the chapters print that their prose sends the reader to (ci/execute_book.py translates the
# Chinese edition's printed output with `translate_output`, which looks up only these keys, whole
# lines, so that printed code and numbers are never touched; a slot's content goes through the
# whole table). tests/test_i18n.py checks that each line of chapter 6's departures has its entry.
ZH_PRINTED: dict[str, str] = {
    # chapter 6: the Trainer methods that depart from the paper, "name: docstring" (inspect.getdoc)
    "_renew_discriminator: Not in the paper (cfg.train.d_renew_every): replace D by a new one (fresh initialisation "
    "and Adam state), which _d_warmup_step then trains alone. Its initial weights come from the seed and the step, the "
    "same on every rank and on a resumed run, and the random stream the run goes on with is left as it was.":
        "_renew_discriminator：论文中没有（cfg.train.d_renew_every）：把 D 换成一个新的（重新初始化，Adam 状态也是新的），"
        "随后由 _d_warmup_step 单独训练它。它的初始权重由随机种子和步数决定，在每个进程上、在续训时都相同；"
        "训练接下来使用的随机数序列保持原样。",
    "_d_warmup_step: Not in the paper (cfg.train.d_warmup_steps): a D step with G held fixed, so that released "
    "generator weights continue against a trained critic, not a random one. G runs in eval mode: the released "
    "network as users run it, its BN statistics untouched.":
        "_d_warmup_step：论文中没有（cfg.train.d_warmup_steps）：固定 G、只训练 D 的一步，使发布的生成器权重继续训练时"
        "面对的是训练过的判别器，而不是随机的判别器。G 以评估模式运行：就是用户运行的那个发布的网络，"
        "它的 BN 统计量保持不变。",
    "_content_loss: l_X, the configured content loss (the paper's SRGAN: VGG54), plus, not in the paper, "
    "cfg.train.gan_pixel_weight times the pixel loss beside it (logged as part of l_X).":
        "_content_loss：l_X，即配置的内容损失（论文的 SRGAN：VGG54），再加上论文中没有的一项："
        "cfg.train.gan_pixel_weight 乘以像素损失（记在 l_X 之内）。",
    "_g_adversarial_loss: l_Gen = -log D(G(LR)) (Eq. 6); or, not in the paper (cfg.train.gan_loss \"relativistic\"), "
    "ESRGAN's relativistic form, which also needs D's logits on HR (no gradient: this step trains G only). D is "
    "frozen here, so the bare network is called, not its DataParallel wrapper: the wrapper would wait for D "
    "gradients to all-reduce that never come, and Paddle then fails in the D backward (\"parameter ... has been "
    "ready before\").":
        "_g_adversarial_loss：l_Gen = -log D(G(LR))（式 (6)）；或者用论文中没有的 ESRGAN 相对判别器形式"
        "（cfg.train.gan_loss \"relativistic\"），它还需要 D 在 HR 上的 logit（不求梯度：这一步只训练 G）。"
        "D 在这里是冻结的，所以调用的是裸网络，而不是它的 DataParallel 包装：包装会等待 D 的梯度做 all-reduce，"
        "而这些梯度永远不会来，Paddle 随后会在 D 的反向传播中报错（\"parameter ... has been ready before\"）。",
    "_add_g_penalties: Not in the paper: the weighted lattice penalty (cfg.train.lattice_weight), low-frequency "
    "loss (cfg.train.lowfreq_weight), chroma loss (cfg.train.chroma_weight), LR-consistency loss "
    "(cfg.train.lr_consistency_weight), LDL's artifact loss (cfg.train.artifact_weight) and the texture losses "
    "(cfg.train.texture_weight, texture_direction_weight) added to G's loss. Returns (loss, their unweighted values).":
        "_add_g_penalties：论文中没有：把加权的网格惩罚（cfg.train.lattice_weight）、低频损失"
        "（cfg.train.lowfreq_weight）、色度损失（cfg.train.chroma_weight）、LR 一致性损失"
        "（cfg.train.lr_consistency_weight）、LDL 的伪影损失（cfg.train.artifact_weight）和纹理损失"
        "（cfg.train.texture_weight、texture_direction_weight）加到 G 的损失上。"
        "返回（总损失，它们未加权的值）。",
    "_mixed_precision: Not in the paper: float16 autocast on a GPU when cfg.train.amp (a no-op otherwise).":
        "_mixed_precision：论文中没有：cfg.train.amp 为真时在 GPU 上做 float16 自动混合精度（否则什么也不做）。",
    "_optimizer_step: Backward and one optimizer step through the AMP grad scaler (plain backward/step without AMP).":
        "_optimizer_step：反向传播，并经 AMP 梯度缩放器执行一步优化器更新（不用 AMP 时就是普通的 backward/step）。",
    # chapter 7: the Table 1 runs' orderings, and what each SRGAN gives up against the SRResNet
    "{}: PSNR order {} ({} the paper's {}); most natural by NIQE first: {}":
        "{}：按 PSNR 的排序为 {}（{}论文的 {}）；按 NIQE 从最自然到最不自然：{}",
    "{}: {} gives up {#} dB against SRResNet and is {} by NIQE ({#} vs {#}; HR {#}), grid contrast {#}":
        "{}：{} 的 PSNR 比 SRResNet 低 {#} dB，按 NIQE {}（{#} 对 {#}；HR 为 {#}），网格对比度 {#}",
    "more natural": "更自然",
    "LESS natural": "反而不如它自然",
    # chapter 0: the shipped SRGAN's card and log
    "model card: step {#}, batch {#}, {#} h of training in {#} segments": "模型卡：第 {#} 步，批量大小 {#}，共训练 {#} 小时，分 {#} 段",
    "model card: step {#}, batch {#}, {#} h of training in {#} segment": "模型卡：第 {#} 步，批量大小 {#}，共训练 {#} 小时，{#} 段",
    # the card's sentence on the chosen step, one line (the page wraps it; another wording stays English)
    "how the step was chosen: Chosen on the selection set ({#} BSDS200 photos held out of training) over the "
    "previously shipped step-{#} model: PSNR {#} vs {#}, NIQE {#} vs {#}, grid contrast {#} vs {#}, colour shift "
    "{#} vs {#}, colour speckle {#} vs {#} (srgan evaluate --data selection).":
        "这一步是怎么选的：在挑选集（从训练数据中留出的 {#} 张 BSDS200 照片）上，它胜过了之前随包发布的第 {#} 步模型："
        "PSNR {#} 对 {#}，NIQE {#} 对 {#}，网格对比度 {#} 对 {#}，颜色偏移 {#} 对 {#}，彩色噪点 {#} 对 {#}"
        "（srgan evaluate --data selection）。",
    "training log, steps {#}-{#} ({#} records):": "训练日志，第 {#}-{#} 步（{#} 条记录）：",
    "median D(HR) {#}, median D(G(LR)) {#}, D(G(LR)) above 0.5 in {#} records":
        "D(HR) 的中位数 {#}，D(G(LR)) 的中位数 {#}，D(G(LR)) 大于 0.5 的记录有 {#} 条",
    # session 16: the chapters' printed prose and labelled measurements (English lines a reader of the
    # Chinese edition saw), every f-string variant of each; chapter 4's VGG19 lines print and label figures
    "VGG19 from {} ({} input convention)": "VGG19，来自 {}（{} 输入约定）",
    "RANDOM-weight VGG19 (no ImageNet weights available)": "随机权重的 VGG19（没有可用的 ImageNet 权重）",
    # every chapter: the setup cell (srgan.notebook.setup_notebook), and the versions line of the imports cell
    "srgan is not installed and REPOSITORY_URL is empty: set it in this cell, or `pip install -e .` in the repository":
        "srgan 尚未安装，而 REPOSITORY_URL 为空：请在这个单元格里设置它，或者在仓库目录中执行 `pip install -e .`",
    "srgan {} on this machine; data folder {}: found {}": "srgan {}，运行于本机；数据文件夹 {}：找到了 {}",
    "srgan {} on Baidu AI Studio; data folder {}: found {}": "srgan {}，运行于百度 AI Studio；数据文件夹 {}：找到了 {}",
    "srgan {} on Google Colab; data folder {}: found {}": "srgan {}，运行于 Google Colab；数据文件夹 {}：找到了 {}",
    "srgan {} on this machine; data folder {}: no benchmark or training sets there (the chapters use scikit-image's "
    "photos; the repository's `python data/download.py benchmarks --dest {}`, then `datasets`, fetches them)":
        "srgan {}，运行于本机；数据文件夹 {}：其中没有基准数据集，也没有训练集（各章改用 scikit-image 自带的照片；"
        "运行仓库的 `python data/download.py benchmarks --dest {}`，再运行 `datasets`，即可下载它们）",
    "srgan {} on Baidu AI Studio; data folder {}: no benchmark or training sets there (the chapters use scikit-image's "
    "photos; the repository's `python data/download.py benchmarks --dest {}`, then `datasets`, fetches them)":
        "srgan {}，运行于百度 AI Studio；数据文件夹 {}：其中没有基准数据集，也没有训练集（各章改用 scikit-image 自带的照片；"
        "运行仓库的 `python data/download.py benchmarks --dest {}`，再运行 `datasets`，即可下载它们）",
    "srgan {} on Google Colab; data folder {}: no benchmark or training sets there (the chapters use scikit-image's "
    "photos; the repository's `python data/download.py benchmarks --dest {}`, then `datasets`, fetches them)":
        "srgan {}，运行于 Google Colab；数据文件夹 {}：其中没有基准数据集，也没有训练集（各章改用 scikit-image 自带的照片；"
        "运行仓库的 `python data/download.py benchmarks --dest {}`，再运行 `datasets`，即可下载它们）",
    "PaddlePaddle is not installed: `pip install paddlepaddle` (CPU) or paddlepaddle-gpu, then run this cell again":
        "PaddlePaddle 尚未安装：请 `pip install paddlepaddle`（CPU）或 paddlepaddle-gpu，然后重新运行这个单元格",
    "paddle {} | device {}": "paddle {} | 设备 {}",  # chapters 2-6 and 8: print("paddle", ..., "| device", ...)

    # chapter 0
    "srgan {}, paddle {}, device {}": "srgan {}，paddle {}，设备 {}",
    "NOTE: {} not found, so the picture has no {} column; chapters 5 and 6 train models live and `srgan train` "
    "trains full ones (see the README).":
        "注意：没有找到 {}，所以图中没有 {} 这一列；第 5 章和第 6 章会在页面中实际训练演示模型，完整的模型则用 `srgan train` 训练（见 README）。",
    # the card's sentence on the chosen step as the shipped card (an interpolation) words it; an empty
    # choice prints the label alone
    "how the step was chosen: INTERMEDIATE release of phase 2 (SRGAN, VGG54), from the project's phase-2 experiments "
    "(weights/experiments/issue23/README.md, runs lettered A to Y): the network interpolation "
    "(ESRGAN Sec. 3.4) {#} x weights/srresnet_x4 + {#} x run {} at its step {#} ({}), alpha and checkpoint chosen on "
    "the selection set ({#} BSDS200 photos held out of phase 2's training; the SRResNet at alpha 0, trained before "
    "they were held out, saw them), where it beats the SRGAN shipped before it (run {} "
    "at its step {#}) on PSNR, NIQE, grid contrast, colour shift and colour speckle at once.":
        "这一步是怎么选的：第二阶段（SRGAN，VGG54）的一个中间版本，来自本项目第二阶段的实验（weights/experiments/issue23/README.md，"
        "各次实验用字母 A 到 Y 编号）：网络插值（ESRGAN 第 3.4 节）"
        "{#} × weights/srresnet_x4 + {#} × 实验 {} 第 {#} 步的权重（{}）；α 和检查点都是在挑选集（从第二阶段的训练数据中留出的 "
        "{#} 张 BSDS200 照片；α = 0 端的 SRResNet 训练于它们被留出之前，见过它们）上选定的，在那里它在 PSNR、NIQE、网格对比度、颜色偏移和彩色噪点上同时胜过在它之前随包发布的 "
        "SRGAN（实验 {} 第 {#} 步）。",
    "how the step was chosen:": "这一步是怎么选的：",

    # chapter 1
    "shared folder: {} (found)": "共享文件夹：{}（已找到）",
    "shared folder: {} (missing: offline default)": "共享文件夹：{}（不存在：离线时的默认位置）",
    "training folders: none -> the scikit-image photos": "训练文件夹：无 → 使用 scikit-image 自带的照片",
    "training folders: {}": "训练文件夹：{}",
    # load_training_images' warnings, printed as "note: <message>"
    "note: skipped {#} image(s) smaller than {#} px: {}": "注意：跳过了 {#} 张小于 {#} 像素的图像：{}",
    "note: scikit-image photo {} unavailable ({}); skipped": "注意：scikit-image 照片 {} 无法使用（{}）；已跳过",
    "{#} training images read in {#} s; height {#}-{#} px, width {#}-{#} px; {#} megapixels, about {#} "
    "non-overlapping {#}x{#} crops":
        "读入 {#} 张训练图像，用时 {#} 秒；高 {#}-{#} 像素，宽 {#}-{#} 像素；共 {#}×10⁶ 像素，约合 {#} 个互不重叠的 {#}×{#} 裁剪块",
    "{} = {#} images in the folders, minus {#} selection photos (held out) and {#} smaller than {#} px: {#} training images":
        "{} = 文件夹中的 {#} 张图像，减去 {#} 张挑选集照片（留出不用）和 {#} 张小于 {#} 像素的图像：{#} 张训练图像",
    "weights of one output pixel sum to {#}; negative lobes: {}": "一个输出像素的权重之和为 {#}；负瓣：{}",
    "{}: not found, so no benchmark LR files to compare with (python data/download.py benchmarks)":
        "{}：未找到，所以没有可供比较的基准 LR 文件（python data/download.py benchmarks）",
    "LR batch {} {}, range [{#}, {#}]": "LR 批量 {} {}，取值范围 [{#}, {#}]",
    "HR batch {} {}, range [{#}, {#}]": "HR 批量 {} {}，取值范围 [{#}, {#}]",
    "{#} batches of {#} in {#} ms ({#} samples/s with {#} workers); an LR crop has {#}x fewer pixels":
        "{#} 个批量，每个 {#} 个样本，用时 {#} 毫秒（每秒 {#} 个样本，数据加载子进程 {#} 个）；一个 LR 裁剪块的像素数只有 HR 裁剪块的 1/{#}",

    # chapter 2
    "one forward pass of a {#}x{#} LR image: {#} s on {}; the residual blocks at the output's resolution would cost "
    "{#}x their multiply-adds":
        "对一张 {#}×{#} 的 LR 图像做一次前向传播：{#} 秒（在 {} 上）；如果在输出分辨率上运行，残差块的乘加次数会是现在的 {#} 倍",
    "one residual block: {#} parameters (by hand: {#})": "一个残差块：{#} 个参数（手算：{#}）",
    "the quick-mode generator of chapters 5 and 6 ({#} blocks of {#} channels): {#} parameters, {#} of this one":
        "第 5、6 章的快速模式生成器（{#} 个残差块，每块 {#} 个通道）：{#} 个参数，是这个生成器的 {#}",
    # a printed bool is a word in Chinese (是 / 否), its line matched with the value written out
    "PixelShuffle(2) follows the rule at all {#} positions: True": "PixelShuffle(2) 是否在全部 {#} 个位置上都遵循这一规则：是",
    "PixelShuffle(2) follows the rule at all {#} positions: False": "PixelShuffle(2) 是否在全部 {#} 个位置上都遵循这一规则：否",
    "PixelShuffle(2) follows the rule at all {#} positions: {}": "PixelShuffle(2) 是否在全部 {#} 个位置上都遵循这一规则：{}",
    "flat input through one upsampling block: the largest 2x2 phase deviation is {#} times the mean |output| with the "
    "default initialisation, {#} times with ICNR":
        "平坦的输入经过一个上采样块：用默认初始化时，最大的 2×2 相位偏差是平均 |输出| 的 {#} 倍，用 ICNR 初始化时为 {#} 倍",
    "the paper-recipe SRGAN's 4x4 phase pattern on the whole of {} [grey levels]:":
        "论文配方的 SRGAN 在整幅 {} 上的 4×4 相位图案 [灰度级]：",
    "the shipped SRResNet and paper-recipe SRGAN weights are missing: nothing to zoom into":
        "缺少随包发布的 SRResNet 和论文配方 SRGAN 的权重：没有可以放大查看的内容",
    # f"{mode:32s}: min {:12.2f}  max {:12.2f}  std {:10.2f}": the two labels have the same width in Chinese,
    # and "{}" keeps each number's padding, so the columns stay aligned
    "eval mode (running statistics)  : min {}  max {}  std {}": "评估模式（滑动统计量）：最小值 {}  最大值 {}  标准差 {}",
    "train mode (batch statistics)   : min {}  max {}  std {}": "训练模式（批量统计量）：最小值 {}  最大值 {}  标准差 {}",

    # chapter 3
    "convolutional part: {#} parameters (with BN)": "卷积部分：{#} 个参数（含 BN）",
    "parameters (conv only)": "参数量（仅卷积，不含 BN）",
    "dense part (Dense(1024), Dense(1)): {#} parameters, {#} of the total":
        "全连接部分（Dense(1024)、Dense(1)）：{#} 个参数，占总数的 {#}",
    "total: {#}; output for a batch of {#}: {} logits": "合计：{#}；批量大小为 {#} 时的输出：形状为 {} 的 logit",
    "formula: {#} px; gradient footprint of feature (3, 3): {#} x {#} px":
        "公式：{#} 像素；特征 (3, 3) 的梯度覆盖范围：{#} x {#} 像素",
    "formula: {#} px; gradient footprint of feature (3, 3): {#} x {#} px (clipped by the 96 px image border)":
        "公式：{#} 像素；特征 (3, 3) 的梯度覆盖范围：{#} x {#} 像素（被 96 像素的图像边界截断）",
    "{#} runs of {#} D updates (batch {#} + {#}, {#} px, {#} parameters) in {#} s":
        "{#} 次训练，每次 {#} 次判别器更新（批量 {#} + {#}，{#} 像素，{#} 个参数），用时 {#} 秒",
    "each D accurate (>= 65 %) in its own setting(s), near chance (50 +- 10 %) in the others: True":
        "是否每个判别器都在自己的设置下准确（>= 65 %），在其他设置下接近随机猜测（50 ± 10 %）：是",
    "each D accurate (>= 65 %) in its own setting(s), near chance (50 +- 10 %) in the others: False":
        "是否每个判别器都在自己的设置下准确（>= 65 %），在其他设置下接近随机猜测（50 ± 10 %）：否",
    "each D accurate (>= 65 %) in its own setting(s), near chance (50 +- 10 %) in the others: {}":
        "是否每个判别器都在自己的设置下准确（>= 65 %），在其他设置下接近随机猜测（50 ± 10 %）：{}",

    # chapter 4
    "{}: {#}x{#} crop at ({#}, {#})": "{}：{#}×{#} 的裁剪块，位于 ({#}, {#})",
    # the crop's source, the slot of the line above (a slot's content goes through the whole table)
    "Set14 baboon, fur of the left cheek": "Set14 的 baboon，左脸颊的毛",
    "scikit-image chelsea (Set14 not found)": "scikit-image 的 chelsea（没有找到 Set14）",
    "LR error of the shifted crops: {#} grey levels on average; after back-projection: {#} at most":
        "平移后的裁剪块的 LR 误差：平均 {#} 个灰度级；反投影之后：最多 {#}",
    "the nine candidates differ from the unshifted crop by {#} grey levels on average":
        "九个候选与未平移的裁剪块平均相差 {#} 个灰度级",
    # two lines printed one above the other: the shorter Chinese label padded with ideographic spaces (U+3000),
    # which a browser sets as wide as a Chinese character (ASCII spaces would not line up: a Chinese character
    # is not two columns of the page's monospace font)
    "expected pixel MSE (on [-1, 1]) of the sharp candidate:  {#}": "期望的像素 MSE（在 [-1, 1] 上），清晰的候选：　　　{#}",
    "expected pixel MSE (on [-1, 1]) of the average (blurry): {#}": "期望的像素 MSE（在 [-1, 1] 上），平均图像（模糊）：{#}",
    "with the rescale: VGG54 loss {#}x the pixel MSE (within 10x: True), VGG22 loss {#}x (within 10x: True)":
        "缩放后：VGG54 损失是像素 MSE 的 {#} 倍（在 10 倍以内），VGG22 损失是它的 {#} 倍（也在 10 倍以内）",
    "with the rescale: VGG54 loss {#}x the pixel MSE (within 10x: True), VGG22 loss {#}x (within 10x: False)":
        "缩放后：VGG54 损失是像素 MSE 的 {#} 倍（在 10 倍以内），VGG22 损失是它的 {#} 倍（超出了 10 倍）",
    "with the rescale: VGG54 loss {#}x the pixel MSE (within 10x: False), VGG22 loss {#}x (within 10x: True)":
        "缩放后：VGG54 损失是像素 MSE 的 {#} 倍（超出了 10 倍），VGG22 损失是它的 {#} 倍（在 10 倍以内）",
    "with the rescale: VGG54 loss {#}x the pixel MSE (within 10x: False), VGG22 loss {#}x (within 10x: False)":
        "缩放后：VGG54 损失是像素 MSE 的 {#} 倍（超出了 10 倍），VGG22 损失是它的 {#} 倍（也超出了 10 倍）",
    "with the rescale: VGG54 loss {#}x the pixel MSE (within 10x: {}), VGG22 loss {#}x (within 10x: {})":
        "缩放后：VGG54 损失是像素 MSE 的 {#} 倍（在 10 倍以内：{}），VGG22 损失是它的 {#} 倍（在 10 倍以内：{}）",
    # "mse prefers the blurred average; vgg22 prefers the sharp candidate; ...": the choices are ZH entries
    "{} prefers {}; {} prefers {}; {} prefers {}": "{} 偏好{}；{} 偏好{}；{} 偏好{}",
    "at logit -6 (D sure the image is fake): gradient {#} (-log D) vs {#} (log(1 - D))":
        "logit 为 -6 时（D 确信图像是假的）：梯度为 {#}（-log D）对 {#}（log(1 - D)）",
    "at logit 0: softplus gives {#} (exact: -0.5); Paddle {}'s binary_cross_entropy_with_logits gives {#}":
        "logit 为 0 时：softplus 给出 {#}（精确值：-0.5）；Paddle {} 的 binary_cross_entropy_with_logits 给出 {#}",
    "content losses of the {} output: {}": "{} 输出的内容损失：{}",
    "mse {#}, vgg22 {#}, vgg54 {#}": "MSE {#}，VGG22 {#}，VGG54 {#}",  # the slot of the line above
    "bicubic (no shipped SRResNet found)": "双三次插值（没有找到随包发布的 SRResNet）",  # the slot of the line above

    # chapter 5
    "generator: {#} parameters; {#} steps of batch {#} ({#} px crops) in {#} s":
        "生成器：{#} 个参数；{#} 步，批量大小 {#}（{#} 像素的裁剪块），用时 {#} 秒",
    "validation on {} at steps {}:": "用图像 {} 验证，验证在第 {} 步进行：",
    "PSNR {} dB (bicubic {#} dB)": "PSNR {} dB（双三次插值 {#} dB）",
    "grid contrast {#}, {}": "网格对比度 {#}、{}",  # the scores of several validations
    "grid contrast {#}": "网格对比度 {#}",
    "run folder: {}": "运行目录：{}",
    "ablation=False: the comparison is skipped": "ablation=False：跳过这项比较",
    "loaded {}: {#} parameters": "已加载 {}：{#} 个参数",
    "{#} steps logged, {#} h of training; first validation: step {#}, {#} dB; best {#} dB; first validation above "
    "bicubic ({#} dB): step {#} ({#} dB), the one before: step {#} ({#} dB)":
        "日志记录了 {#} 步，训练 {#} 小时；第一次验证：第 {#} 步，{#} dB；最好 {#} dB；第一次超过双三次插值（{#} dB）的验证："
        "第 {#} 步（{#} dB），它的前一次：第 {#} 步（{#} dB）",
    "{#} steps logged, {#} h of training; first validation: step {#}, {#} dB; best {#} dB; first validation above "
    "bicubic ({#} dB): none":
        "日志记录了 {#} 步，训练 {#} 小时；第一次验证：第 {#} 步，{#} dB；最好 {#} dB；第一次超过双三次插值（{#} dB）的验证：无",
    "untrained network with the global skip: {#} dB; bicubic alone: {#} dB (on {#} validation images)":
        "带双三次全局残差、未经训练的网络：{#} dB；只用双三次插值：{#} dB（在 {#} 张验证图像上）",

    # chapter 6
    "{#} steps of batch {#} x {#} px in {#} s ({#} samples/s)": "{#} 步（批量大小 {#}，裁剪块 {#} 像素），用时 {#} 秒（每秒 {#} 个样本）",
    "D loss at the {#} logged steps: {#} to {#} (2 ln 2 = {#}), below 2 ln 2 at {#}; mean D(HR) {#}, mean D(G(LR)) {#}":
        "记录的 {#} 步中判别器损失为 {#} 到 {#}（2 ln 2 = {#}），其中 {#} 步低于 2 ln 2；D(HR) 的均值 {#}，D(G(LR)) 的均值 {#}",
    "NOTE: {} or its model card is missing (see the README); the comparisons below use the live run instead":
        "注意：缺少 {} 或它的模型卡（见 README）；下面的比较改用演示训练的结果",
    # "D(G(LR)) median per segment: steps 0-3,000: 0.0002; steps 3,000-4,000: 0.0021; ...": the list in the slot
    # is read segment by segment, with the second key (and ZH_FIGURES' "steps {#}-{#}: {}" for the last one)
    "D(G(LR)) median per segment: {}": "各段 D(G(LR)) 的中位数：{}",
    "steps {#}-{#}: {#}; {}": "第 {#}-{#} 步：{#}；{}",
    "steps {#}-{#}, {#} log records:": "第 {#}-{#} 步，{#} 条日志记录：",
    "D(G(LR)): median {#}, below 0.01 in {#} of the records; G's -log D(G(LR)): median {#}":
        "D(G(LR))：中位数 {#}，在 {#} 的记录中低于 0.01；G 的 -log D(G(LR))：中位数 {#}",
    "content loss: mean {#} over the first half of the records, {#} over the second":
        "内容损失：前一半记录的均值为 {#}，后一半为 {#}",
    "validation PSNR (the trainer's validation images): best {#} dB, last {#} dB":
        "验证 PSNR（训练器的验证图像）：最好 {#} dB，最后一次 {#} dB",
    "D(G(LR)) swinging between below 0.05 and above 0.5 from one record to the next: {#} of {#} times in saturated "
    "segments, {#} of {#} in the others":
        "D(G(LR)) 在相邻两条记录之间于低于 0.05 与高于 0.5 之间摆动：在饱和的段中 {#}/{#} 次，在其他段中 {#}/{#} 次",
    "NOTE: {} is missing (the repository's weights/ has it): no {} row": "注意：缺少 {}（仓库的 weights/ 中有它）：表中没有 {} 这一行",
    # "d(content loss)/dSR: ...": the name goes through ZH ("content" -> 内容, "adversarial" -> 对抗)
    "d({} loss)/dSR: {#} of its energy on the lattice, {#}x white noise's {#}":
        "d({}损失)/dSR：能量中有 {#} 落在网格上，是白噪声的 {#} 倍（白噪声为 {#}）",
    "{}: grid contrast {}, NIQE {#}; mean SR - HR: R {#}, G {#}, B {#} grey levels":
        "{}：网格对比度 {}，NIQE {#}；SR - HR 的均值：R {#}，G {#}，B {#} 个灰度级",
    "NOTE: {} is not here (the repository has it; an installed package does not): no recipe curves":
        "注意：这里没有 {}（仓库中有，安装的包中没有）：不画各配方的曲线",

    # chapter 7
    "NOTE: no benchmark sets under {} (`python data/download.py benchmarks` fetches them); the tables below score the "
    "scikit-image photos and are NOT comparable with the paper's.":
        "注意：{} 下没有基准数据集（`python data/download.py benchmarks` 可以下载它们）；下面的表格改为对 scikit-image "
        "的照片评分，不能与论文的结果比较。",
    "benchmarks: {}": "基准数据集：{}",
    "{}: {} (engine {})": "{}：{}（引擎 {}）",
    "NOTE: {} is missing; no {} row (train it with ci/train_weights.sh, see the README)":
        "注意：缺少 {}；表中没有 {} 这一行（用 ci/train_weights.sh 训练它，见 README）",
    # the timing lines f"{set:>8} {name:<14} {seconds:6.1f} s", one key per method of the chapter (each with its
    # padding): the set names were right-aligned, so translate_output drops that padding in Chinese
    "{} bicubic           {} s": "{} 双三次插值：{} 秒",
    "{} SRResNet          {} s": "{} SRResNet：{} 秒",
    "{} shipped SRGAN-MSE {} s": "{} 随包发布的 SRGAN-MSE：{} 秒",
    "{} shipped SRGAN     {} s": "{} 随包发布的 SRGAN：{} 秒",
    "srgan.niqe: {#}; MATLAB: {#}; difference {#}": "srgan.niqe：{#}；MATLAB：{#}；差值 {#}",
    "NOTE: {} is missing: the comparison with MATLAB is skipped": "注意：缺少 {}：跳过与 MATLAB 的比较",
    "{}, {}: NIQE below HR's on {#} of {#} images ({}); colour shift {#} to {#} grey levels on the {#} colour images; "
    "mean SR - HR per channel: R {#}, G {#}, B {#}":
        "{}，{}：在 {#}/{#} 张图像上 NIQE 低于 HR 的值（{}）；颜色偏移为 {#} 到 {#} 个灰度级（{#} 张彩色图像）；"
        "各通道 SR - HR 的均值：R {#}，G {#}，B {#}",
    "{}, {}: NIQE below HR's on {#} of {#} images (); colour shift {#} to {#} grey levels on the {#} colour images; "
    "mean SR - HR per channel: R {#}, G {#}, B {#}":
        "{}，{}：在 {#}/{#} 张图像上 NIQE 低于 HR 的值；颜色偏移为 {#} 到 {#} 个灰度级（{#} 张彩色图像）；"
        "各通道 SR - HR 的均值：R {#}，G {#}，B {#}",
    "NOTE: {} is missing (ci/train_weights.sh ablation {}); no {} row":
        "注意：缺少 {}（ci/train_weights.sh ablation {}）；表中没有 {} 这一行",
    "NOTE: not all three Table 1 runs are there; no ordering": "注意：表 1 的三次训练不全；不给出排序",
    "NOTE: the dial needs both {} and {}; no interpolation points": "注意：调节系数需要 {} 和 {} 两者都在；没有插值点",

    # chapter 8
    "{#}x{#}: the largest difference from Upscaler's output above is {#} grey level(s), {#} of the values differ "
    "(Upscaler tiles, this ran the whole image)":
        "{#}×{#}：与上面 Upscaler 的输出相比，最大差异为 {#} 个灰度级，{#} 的数值不同（Upscaler 分块运行，这里一次运行整张图像）",
    "weights: {}": "权重：{}",
    "speed test input {#}x{#} LR px: Paddle's plain CPU kernels unfold (im2col) its 9x9 tail conv into {#} GB":
        "速度测试的输入为 {#}×{#} 个 LR 像素：Paddle 的普通（plain）CPU 内核会把它的 9×9 尾部卷积按 im2col 展开，占用 {#} GB",
    "speed test input {#}x{#} LR px: Paddle's plain CPU kernels unfold (im2col) its 9x9 tail conv into {#} GB ({#} px "
    "would need {#} GB; {#} GB is free)":
        "速度测试的输入为 {#}×{#} 个 LR 像素：Paddle 的普通（plain）CPU 内核会把它的 9×9 尾部卷积按 im2col 展开，占用 {#} GB（{#} 像素需要 {#} GB；可用内存为 {#} GB）",
    "{}: {#}x{#} -> {#}x{#} in {#} s ({#} thousand LR pixels/s, engine {}; a first call, which includes preparing the "
    "engine: the timings below are of later calls); saved to {}":
        "{}：{#}×{#} → {#}×{#}，用时 {#} 秒（每秒 {#}×10³ 个 LR 像素，引擎 {}；这是第一次调用，包含引擎的准备时间，"
        "下面的耗时都是之后的调用）；已保存到 {}",
    "tiles are {#}x{#} LR pixels (equal sizes, at most {#}); each network input is {#}x{#}; 64 float32 feature maps "
    "at 3840x2160 take {#} GB":
        "分块为 {#}×{#} 个 LR 像素（大小相等，最大 {#}）；每个网络输入为 {#}×{#}；3840×2160 分辨率下的 64 张 float32 特征图占 {#} GB",
    "receptive radius of this generator: {#} LR pixels": "这个生成器的感受野半径：{#} 个 LR 像素",
    "exported in {#} s to {} in a temporary folder": "导出用时 {#} 秒，导出到临时文件夹中的 {}",
    "the {#}x{#} photo, tiled: OpenVINO {#} s, oneDNN {#} s": "{#}×{#} 的照片，分块处理：OpenVINO {#} 秒，oneDNN {#} 秒",
    # the engines of the speed table (ZH_FIGURES' row labels), on a CPU with and without OpenVINO, and on a GPU
    "time relative to the package's dygraph: dygraph, batch norm folded {#}, dygraph, stock tail conv {#}, "
    "Paddle Inference, plain kernels {#}, Paddle Inference, oneDNN {#}, Paddle Inference, OpenVINO {#}":
        "相对本包动态图的耗时：动态图，折叠批量归一化 {#}；动态图，标准尾部卷积 {#}；Paddle Inference，plain 内核 {#}；"
        "Paddle Inference，oneDNN {#}；Paddle Inference，OpenVINO {#}",
    "time relative to the package's dygraph: dygraph, batch norm folded {#}, dygraph, stock tail conv {#}, "
    "Paddle Inference, plain kernels {#}, Paddle Inference, oneDNN {#}":
        "相对本包动态图的耗时：动态图，折叠批量归一化 {#}；动态图，标准尾部卷积 {#}；Paddle Inference，plain 内核 {#}；"
        "Paddle Inference，oneDNN {#}",
    "time relative to the package's dygraph: dygraph, batch norm folded {#}, dygraph, stock tail conv {#}, "
    "Paddle Inference, GPU {#}":
        "相对本包动态图的耗时：动态图，折叠批量归一化 {#}；动态图，标准尾部卷积 {#}；Paddle Inference，GPU {#}",
}

ZH.update(ZH_GLUE)
ZH.update({key: text for key, text in ZH_FIGURES.items() if key not in ZH})
ZH.update({key: text for key, text in ZH_PRINTED.items() if key not in ZH})


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


_original_print = None


def translate_prints(on: bool) -> None:
    """While on, what `print` writes to stdout goes through translate_output: a reader who runs a
    Chinese chapter sees its printed lines in Chinese, as the built book shows them. One print
    call is translated as a whole (a table of lines printed at once keeps its layout rules);
    prints to another file (stderr, a file) are left alone.

    Args:
        on: True to translate (srgan.notebook.setup_notebook(language="zh") turns it on), False
            to restore Python's own print.
    """
    import builtins

    global _original_print
    if on and _original_print is None:
        _original_print = builtins.print

        def print_translated(*args, sep=" ", end="\n", file=None, flush=False):
            if file is not None and file is not sys.stdout:
                return _original_print(*args, sep=sep, end=end, file=file, flush=flush)
            text = (" " if sep is None else sep).join(map(str, args)) + ("\n" if end is None else end)
            return _original_print(translate_output(text, "zh"), end="", file=file, flush=flush)

        builtins.print = print_translated
    elif not on and _original_print is not None:
        builtins.print, _original_print = _original_print, None


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


_SLOT = re.compile(r"\{#?\}")
# What a "{#}" slot matches: a number as the chapters format it (thousands separators, a sign,
# an exponent, a percent sign with or without a space before it).
_NUMBER = r"[-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?(?: ?%)?"


def slots(text: str) -> list[str]:
    """The slots of a table key or of its translation, in order ("{}" or "{#}")."""
    return _SLOT.findall(text)


def _regex(key: str) -> re.Pattern:
    parts = _SLOT.split(key)
    body = "".join(("(.+?)" if slot == "{}" else f"({_NUMBER})") + re.escape(part)
                   for slot, part in zip(slots(key), parts[1:]))
    return re.compile("^" + re.escape(parts[0]) + body + "$", re.S)


def _patterns_of(table: dict[str, str]) -> list[tuple[re.Pattern, str]]:
    entries = sorted(((k, v) for k, v in table.items() if _SLOT.search(k)), key=lambda kv: -len(kv[0]))
    return [(_regex(k), v) for k, v in entries]


@lru_cache(maxsize=None)
def _patterns() -> list[tuple[re.Pattern, str]]:
    """ZH's keys with slots as regular expressions, longest (most specific) first. Built on first
    use, so after ZH_GLUE, ZH_FIGURES and ZH_PRINTED were merged into ZH (at import)."""
    return _patterns_of(ZH)


@lru_cache(maxsize=None)
def _printed_patterns() -> list[tuple[re.Pattern, str]]:
    return _patterns_of(ZH_PRINTED)


# A slot's content that is a list of numbers or names ("785, 801", "T91, BSDS200", "SRGAN-MSE,
# SRGAN-VGG54"): its items are joined with the Chinese enumeration comma 、 inside a Chinese sentence.
# Benchmark images as tables and lists name them, "img_001 (baboon)" (srgan.evaluate.image_label):
# names of photos, which stay as they are.
_IMAGES = re.compile(r"img_\d+ \([a-z0-9]+\)(?:, img_\d+ \([a-z0-9]+\))*")
_LIST = re.compile(r"[A-Za-z0-9][\w.+-]*(?:, [A-Za-z0-9][\w.+-]*)+|" + _IMAGES.pattern)


def _slot(text: str) -> str:
    if _LIST.fullmatch(text):
        return "、".join(text.split(", "))
    return translate(text, "zh")  # a slot may itself be a table entry ("bicubic")


def _match(text: str, patterns: list[tuple[re.Pattern, str]], table: dict[str, str]) -> tuple[str, re.Match | None] | None:
    """The translation `text` finds in `table` (a whole key: no match object) or `patterns` (with
    the match, whose groups are the slots' contents), or None."""
    if text in table:
        return table[text], None
    for pattern, target in patterns:
        m = pattern.match(text)
        if m:
            return target, m
    return None


def _fill(target: str, contents) -> str:
    """A translation with slots, its slots filled with `contents` (each translated in turn, see _slot)."""
    parts = _SLOT.split(target)
    filled = [_slot(g) for g in contents]
    return parts[0] + "".join(s + p for s, p in zip(filled, parts[1:]))


def _lookup(text: str, patterns: list[tuple[re.Pattern, str]] | None = None,
            table: dict[str, str] | None = None) -> str | None:
    found = _match(text, _patterns() if patterns is None else patterns, ZH if table is None else table)
    if found is None:
        return None
    target, m = found
    return target if m is None else _fill(target, m.groups())


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
    if _IMAGES.fullmatch(text.strip()):
        return text  # photos' names
    _note_untranslated(text)
    return _TIMES.sub(r"\1×", text)


# "0.7x", "96x96", "x4" after a number: Chinese typesetting writes the multiplication sign (zh
# reader s21); only after a number that stands alone (not "vgg19x"), so names stay as they are.
_TIMES = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)x(?=\d|\b)")


def translate_output(text: str, language: str | None = None) -> str:
    """Printed output (a notebook's stdout) in the current language: each line that is a key of
    ZH_PRINTED (whole, or as a pattern; its indentation kept) is translated, every other line
    (printed code, numbers, paths, lines the table does not know) stays as it is. Unchanged in
    English.

    Lines whose English lines up a column with spaces (`f"{label:>14}: ..."`, see
    _right_aligned) are left-aligned in Chinese instead: their indentation and the padding of
    their slots dropped. Padding counts characters, and a Chinese character is neither one
    column wide nor, in a browser's monospace font, exactly two, so no count of spaces would
    line the translated labels up.

    Args:
        text: the printed text, any number of lines.
        language: override the current language ("zh" to translate whatever is set).
    """
    if (language or _language) != "zh":
        return text
    pieces = text.split("\n")
    found = [_match(piece.lstrip(), _printed_patterns(), ZH_PRINTED) if piece.strip() else None for piece in pieces]
    aligned = _right_aligned(pieces, found)
    lines = []
    for i, (piece, match) in enumerate(zip(pieces, found)):
        if match is None:
            lines.append(piece)
            continue
        target, m = match
        body = piece.lstrip()
        if i in aligned:
            lines.append(_fill(target, [g.strip() for g in m.groups()]))
        else:
            lines.append(piece[: len(piece) - len(body)] + (target if m is None else _fill(target, m.groups())))
    return "\n".join(lines)


def _right_aligned(pieces: list[str], found: list) -> set[int]:
    """The lines (indices of `pieces`) of a right-aligned first column: a run of two or more
    consecutive lines, each translated by a pattern that starts with its slot, whose slot ends in
    the same column in every line (indentation plus the slot's text: `f"{name:>14}: ..."`,
    `f"{set:>8} {method:<14} ..."`). Indentation before other keys (a list under its heading) is
    not padding and stays."""
    edges = {}
    for i, (piece, match) in enumerate(zip(pieces, found)):
        m = match[1] if match else None
        if m is not None and m.re.groups and m.start(1) == 0:
            edges[i] = len(piece) - len(piece.lstrip()) + m.end(1)
    aligned, i = set(), 0
    while i < len(pieces):
        j = i
        while j in edges and edges[j] == edges.get(i):
            j += 1
        if j - i >= 2:
            aligned.update(range(i, j))
        i = max(j, i + 1)
    return aligned


_DELIMITER_CELL = re.compile(r"\s*:?-+:?\s*")
_CELL_BAR = re.compile(r"(?<!\\)\|")  # a cell boundary: a bar that is not escaped (\|)


def translate_markdown(text: str, language: str | None = None) -> str:
    """A block of markdown (paragraphs, a pipe table, a list) in the current language: each
    table cell, list item and other line is looked up on its own (`translate`); delimiter rows,
    blank lines and whatever is not in the table stay as they are. Unchanged in English.

    For the tables the package formats as markdown text (evaluate.format_table,
    release.format_card), which the Chinese edition shows like viz.table's.

    Args:
        text: the markdown text.
        language: override the current language ("zh" to translate whatever is set).
    """
    if (language or _language) != "zh":
        return text

    def words(piece: str) -> str:
        # Numbers and names ("8.19 (5.44)", "Set5") stay: a pattern for prose must not catch them.
        return ZH[piece] if piece in ZH else translate(piece, "zh") if _looks_english(piece) else piece

    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            cells = _CELL_BAR.split(stripped[1:-1])
            if all(_DELIMITER_CELL.fullmatch(c) for c in cells):
                lines.append(line)
            else:
                lines.append("| " + " | ".join(words(c.strip()) for c in cells) + " |")
        elif stripped.startswith("- "):
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f"{indent}- {words(stripped[2:])}")
        else:
            lines.append(words(line) if stripped else line)
    return "\n".join(lines)


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
