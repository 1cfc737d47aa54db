// Behaviour shared by every page. No inline handlers anywhere: the Content Security Policy
// allows scripts from our own static files only.
(function () {
  "use strict";
  // <select data-submit-on-change>: choosing a value submits its form (the language switch).
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-submit-on-change]");
    if (field && field.form) field.form.submit();
  });
})();
