/* The result card's keyboard shortcuts: Enter → next lesson, Esc or Tab → try again.
 *
 * The card (lessons/detail.html#result) is swapped in by widget.js when a lesson is done; it
 * marks its actions with data-shortcut="next" / "retry". widget.js focuses the primary action
 * ([data-autofocus]) and then sends "typing:result" from the card's container. */
(function () {
  "use strict";

  var ARM_MS = 400; // the last letters' keys may still be coming: ignore them this long
  var shownAt = 0;

  function shortcut(name) {
    return document.querySelector('[data-result-shortcuts] [data-shortcut="' + name + '"]');
  }

  function control(el) {
    if (!el || !el.closest) return null;
    return el.closest("a[href], button, input, select, textarea, [contenteditable]");
  }

  function typingInto(el) {
    return !!(el && el.closest && el.closest("input, select, textarea, [contenteditable]"));
  }

  function follow(link, e) {
    if (!link) return;
    e.preventDefault();
    link.click();
  }

  function onKeydown(e) {
    if (!document.querySelector("[data-result-shortcuts]")) return;
    if (e.defaultPrevented || e.repeat || e.isComposing) return;
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    if (Date.now() - shownAt < ARM_MS) return;
    var focused = control(e.target);
    if (typingInto(e.target)) return;
    if (e.key === "Enter") {
      // On another link or button, Enter is that control's own.
      if (focused && focused !== shortcut("next")) return;
      follow(shortcut("next"), e);
    } else if (e.key === "Escape") {
      follow(shortcut("retry"), e);
    } else if (e.key === "Tab" && !e.shiftKey) {
      // From the primary action (where the focus lands) or from nowhere; elsewhere Tab moves on.
      if (focused && !focused.hasAttribute("data-autofocus")) return;
      follow(shortcut("retry"), e);
    }
  }

  document.addEventListener("typing:result", function () {
    shownAt = Date.now();
  });
  document.addEventListener("keydown", onKeydown);
})();
