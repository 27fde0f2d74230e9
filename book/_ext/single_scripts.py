"""A Sphinx extension of the book: every inline script once per page.

sphinx-thebe and sphinx-togglebutton (both loaded by jupyter-book 1.x) add inline scripts from an
`env-before-read-docs` handler. With Sphinx 7.4 each such script reaches the page twice, once
with filename None and once with "" (Sphinx's own duplicate test compares the two and finds them
different). Twice is harmless for a `var`, but sphinx-thebe's `const THEBE_JS_URL` declared a
second time is an "Uncaught SyntaxError" in the console of every page, which ci/check_book.py
counts as a console error. This drops the second copy of any script (same file, same attributes,
same body) before the page is written. Listed in _config.yml (sphinx.local_extensions).
"""

from __future__ import annotations


def _key(script) -> tuple:
    return (script.filename or "", tuple(sorted((str(k), str(v)) for k, v in script.attributes.items())))


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    """html-page-context: keep the first of each script in `context["script_files"]`.

    Args:
        app, pagename, templatename, doctree: Sphinx's html-page-context arguments (unused).
        context: the page's template context; its script_files list is replaced by a copy.
    """
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
