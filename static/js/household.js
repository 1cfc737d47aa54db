// Household rows of the new-request screen: add a row from the hidden empty-form template,
// remove an added row, keep the formset's numbering contiguous, and keep Enter from submitting.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  var template = document.getElementById("member-template");
  if (!form || !template) return;
  var rows = form.querySelector("[data-member-rows]");
  var total = form.querySelector("[name=members-TOTAL_FORMS]");
  var max = parseInt(form.querySelector("[name=members-MAX_NUM_FORMS]").value, 10) || 12;
  var addButton = form.querySelector("[data-add-member]");

  function memberRows() { return rows.querySelectorAll("[data-member-row]"); }
  function inputs(row) { return row.querySelectorAll("input:not([type=hidden]), select"); }

  function renumber() {
    memberRows().forEach(function (row, index) {
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(/members-\d+-/g, "members-" + index + "-"));
        });
      });
      row.querySelectorAll("[data-row-number]").forEach(function (el) { el.textContent = index + 1; });
    });
    total.value = memberRows().length;
    addButton.disabled = memberRows().length >= max;
  }

  function addRow() {
    var index = memberRows().length;
    if (index >= max) return;
    var html = template.innerHTML.replace(/__prefix__/g, index).replace(/__n__/g, index + 1);
    rows.insertAdjacentHTML("beforeend", html);
    renumber();
    inputs(memberRows()[index])[0].focus();
  }

  addButton.addEventListener("click", function (event) {
    event.preventDefault();
    addRow();
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-member]");
    if (!button) return;
    button.closest("[data-member-row]").remove();
    renumber();
    addButton.focus();
    form.dispatchEvent(new Event("change", { bubbles: true }));  // the candidates follow
  });

  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches("input:not([type=submit]), select")) return;
    event.preventDefault();  // a long form: Enter must not save or place by accident
    var row = event.target.closest("[data-member-row]");
    var all = memberRows();
    if (row && row === all[all.length - 1]) {
      var fields = inputs(row);
      if (event.target === fields[fields.length - 1]) addRow();
    }
  });
})();
