// Small behaviours every page shares; loaded as a file so the CSP needs no inline script.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.closest && (el.closest(".portal-autosubmit") || el.classList.contains("portal-autosubmit-select"))) {
      el.form.submit();
    }
  });
  // Destructive buttons outside HTMX ask first (HTMX ones use hx-confirm).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".portal-confirm");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
