// The language switch: a link in the header of every page of the book to the same page in the
// other edition. The English book is the site's root and the Chinese one its zh/ folder, with the
// same page paths (ci/book.sh builds both), so the link only adds or removes "zh/". It is worked
// out here from the page's own address, which keeps it right offline (file://) and on any host.
// ci/check_book.py checks that every page has it and that it leads to an existing page.
(function () {
  "use strict";
  function addSwitch() {
    var html = document.documentElement;
    var root = html.getAttribute("data-content_root");  // Sphinx: this book's root, relative to the page
    if (root === null || document.querySelector("a.language-switch")) return;
    var chinese = (html.lang || "").toLowerCase().indexOf("zh") === 0;
    var base = new URL(root, window.location.href).href;
    var here = window.location.href.split("#")[0].split("?")[0];
    if (here.indexOf(base) !== 0) return;
    var page = here.slice(base.length) || "index.html";
    var link = document.createElement("a");
    link.className = "btn btn-sm language-switch";
    link.href = new URL((chinese ? "../" : "zh/") + page, base).href;
    link.textContent = chinese ? "English" : "中文";
    link.lang = chinese ? "en" : "zh-CN";
    link.hreflang = link.lang;
    link.title = chinese ? "Read this page in English" : "阅读本页的中文版";
    var buttons = document.querySelector(".article-header-buttons") || document.querySelector(".bd-header-article");
    if (buttons) {
      buttons.insertBefore(link, buttons.firstChild);
    } else {
      link.classList.add("language-switch-floating");
      document.body.insertBefore(link, document.body.firstChild);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", addSwitch);
  } else {
    addSwitch();
  }
})();
