// The compact menu: on a phone the header's links fold behind a "Menu" button (CSS decides the
// width). Without JavaScript the links simply wrap under the brand.
(function () {
  "use strict";
  var nav = document.querySelector(".site-header .nav");
  var button = nav && nav.querySelector(".nav-toggle");
  if (!button) {
    return;
  }
  function setOpen(open) {
    button.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("is-open", open);
  }
  nav.classList.add("nav-compact");
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("is-open")) {
      setOpen(false);
      button.focus();
    }
  });
})();
