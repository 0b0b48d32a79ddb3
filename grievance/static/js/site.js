/* Behaviour every page shares. No inline scripts anywhere (the pages run under a Content-Security-Policy). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    // GOV.UK error summary: it takes focus so screen readers announce it and keyboards start there.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (!link) { return; }
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) { return; }
        event.preventDefault();
        // Scroll the field's label (or legend) into view, then put the cursor in the field.
        var label = document.querySelector("label[for='" + target.id + "']");
        var fieldset = target.closest("fieldset");
        var legend = fieldset ? fieldset.querySelector("legend") : null;
        (legend || label || target).scrollIntoView();
        if (typeof target.focus === "function") { target.focus({ preventScroll: true }); }
      });
    }
  });
})();
