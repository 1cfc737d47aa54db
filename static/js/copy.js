// "Kopieer": put a read-only text on the clipboard; where the browser refuses, select it instead.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copyStatus);
    button.hidden = false;
    button.addEventListener("click", function () {
      function selected() {
        field.focus();
        field.select();
        status.textContent = button.dataset.selected;
      }
      if (!navigator.clipboard || !window.isSecureContext) return selected();
      navigator.clipboard.writeText(field.value).then(function () {
        status.textContent = button.dataset.copied;
      }, selected);
    });
  });
})();
