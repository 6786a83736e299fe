// Small conveniences; every page works without this script.
"use strict";
// With the script, a file input speaks the page's language (without it, the browser's own).
document.documentElement.classList.add("js");
document.addEventListener("change", function (e) {
  var input = e.target;
  if (!input.matches || !input.matches("input.file-input")) return;
  var names = input.parentNode.querySelector(".file-names");
  if (!names) return;
  var list = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
  names.textContent = list.length ? list.join(document.documentElement.lang === "en" ? ", " : "、") : names.dataset.none;
});
document.addEventListener("click", function (e) {
  // The receipt's print button (without script, the browser's own Print does the same).
  if (e.target.closest && e.target.closest("[data-print]")) {
    window.print();
    return;
  }
  // A diagnostic's location moves the editor's caret to its line and column.
  var a = e.target.closest && e.target.closest("a.jump");
  if (a) {
    var ed = document.getElementById("editor");
    if (ed) {
      e.preventDefault();
      var line = parseInt(a.dataset.line, 10) || 1, col = parseInt(a.dataset.col, 10) || 1;
      var lines = ed.value.split("\n"), pos = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
      pos += Math.max(0, col - 1);
      ed.focus();
      ed.setSelectionRange(pos, pos + Math.max(1, (lines[line - 1] || "").length - col + 1));
      var lh = parseFloat(getComputedStyle(ed).lineHeight) || 18;
      ed.scrollTop = Math.max(0, (line - 5) * lh);
    }
  }
});
document.addEventListener("submit", function (e) {
  // Forms (or the button pressed) marked data-confirm ask first.
  var btn = e.submitter, form = e.target;
  var msg = (btn && btn.dataset && btn.dataset.confirm) || (form.dataset && form.dataset.confirm);
  if (msg && !window.confirm(msg)) e.preventDefault();
});
