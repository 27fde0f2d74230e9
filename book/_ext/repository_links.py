"""A Sphinx extension of the book: repository paths in the prose link to the repository.

The chapters cite files of the repository by their path, as inline code: `weights/experiments/
issue23/README.md` (the experiment log), `benchmarks/upscale_startup.md` (a measured figure's
source). A reader of the rendered site has no checkout, so such a path is only useful as a link.
When the book is built with its public address (BOOK_REPOSITORY_URL, which ci/execute_book.py
writes into the build's _config.yml as jupyter-book's repository.url), every inline-code span whose
text is a file or folder of this checkout becomes a link to it on that branch; without an address
(local builds, CI) the spans stay as they are. Listed in _config.yml (sphinx.local_extensions);
the checkout's root reaches it as `book_repository_root` (ci/execute_book.py sets it).
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes

# A relative path as the prose writes one: words, dots, dashes and slashes, no spaces, no scheme,
# not a parent reference; a bare name only with an extension or a slash ("README.md", "benchmarks/";
# not "weights").
_PATH = re.compile(r"(?!/)(?!.*\.\.)[\w.\-]+(/[\w.\-]+)*/?")


def repository_address(text: str, root: Path, url: str, branch: str) -> str | None:
    """The address of `text` in the repository at `url` on `branch`, if `text` names a file or a
    folder under `root` (the checkout), else None.

    Args:
        text: an inline-code span's text, e.g. "weights/experiments/issue23/README.md".
        root: the checkout's root folder.
        url: the repository's public address (https://github.com/<owner>/<repo>); empty: None.
        branch: the branch the links point to.
    """
    text = text.strip()
    bare_word = "/" not in text and "." not in text  # "srgan", "weights": words of the prose, not paths
    if not url or not _PATH.fullmatch(text) or bare_word:
        return None
    path = (root / text).resolve()
    if not path.is_relative_to(root.resolve()) or not path.exists():
        return None
    kind = "tree" if path.is_dir() else "blob"
    return f"{url.rstrip('/')}/{kind}/{branch}/{text.strip('/')}"


def link_repository_paths(app, doctree, docname) -> None:
    """doctree-resolved: wrap each inline-code span that names a repository path in a link."""
    options = app.config.html_theme_options or {}
    url, branch = options.get("repository_url") or "", options.get("repository_branch") or "main"
    root = app.config.book_repository_root
    if not url or not root:
        return
    for literal in list(doctree.findall(nodes.literal)):
        if isinstance(literal.parent, nodes.reference):
            continue
        address = repository_address(literal.astext(), Path(root), url, branch)
        if address is not None:
            link = nodes.reference("", "", literal.deepcopy(), refuri=address, internal=False,
                                   classes=["repository-path"])
            literal.replace_self(link)


def setup(app):
    app.add_config_value("book_repository_root", "", "env")
    app.connect("doctree-resolved", link_repository_paths)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
