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

// Flask-Admin's list templates use inline onclick handlers, which the CSP
// (scripts by nonce only) blocks. Re-bind the few patterns they use, without eval.
(function () {
  "use strict";
  var patterns = [
    [/(?:safeConfirm|confirm)\('((?:[^'\\]|\\.)*)'\)/, function (el, m, event) {
      if (!window.confirm(m[1].replace(/\\(.)/g, "$1"))) { event.preventDefault(); }
    }],
    [/modelActions\.execute\('([^']*)'\)/, function (el, m, event) {
      event.preventDefault();
      if (window.modelActions) { window.modelActions.execute(m[1]); }
    }],
    [/faForm\.addInlineField\(this, '([^']*)'\)/, function (el, m, event) {
      event.preventDefault();
      if (window.faForm) { window.faForm.addInlineField(el, m[1]); }
    }],
    [/^\s*return false;?\s*$/, function (el, m, event) { event.preventDefault(); }]
  ];
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[onclick]");
    if (!el) { return; }
    var code = el.getAttribute("onclick");
    for (var i = 0; i < patterns.length; i++) {
      var m = code.match(patterns[i][0]);
      if (m) { patterns[i][1](el, m, event); return; }
    }
  }, true);
})();
