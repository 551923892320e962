/*
 * Create a peering wizard — the connection dialog. Without this file the Direct Peering
 * Connection form is a page of its own; with it (and htmx) the form opens in a <dialog>.
 * The server says when: HX-Trigger "wizard-dialog-open" after it put the form in the dialog,
 * "wizard-dialog-close" once the row is saved (or cancelled). It also hides the Microsoft
 * network field while the peering type is Exchange.
 */
(function () {
  "use strict";

  function dialog() {
    return document.getElementById("connection-dialog");
  }

  // The control that opened the dialog (by id: the grid is re-rendered while it is open).
  var opener = "";

  document.addEventListener("wizard-dialog-open", function () {
    var el = dialog();
    if (el && !el.open && typeof el.showModal === "function") {
      var active = document.activeElement;
      opener = active && active.id ? active.id : "";
      el.showModal();
    }
  });

  document.addEventListener("wizard-dialog-close", function () {
    var el = dialog();
    if (el && el.open) {
      el.close();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-dialog-close]") : null;
    if (!button) {
      return;
    }
    var el = button.closest("dialog");
    if (el) {
      event.preventDefault();
      el.close();
    }
  });

  // The Microsoft network is a Direct peering choice: hide it as soon as Exchange is picked
  // (the server renders it hidden too, and without JavaScript the Update button does).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[name='peering_type']")) {
      return;
    }
    document.querySelectorAll("[data-direct-only]").forEach(function (el) {
      el.hidden = input.value === "Exchange";
    });
  });

  // "close" does not bubble: listen while it passes down. An emptied dialog never shows a
  // stale form the next time it opens.
  document.addEventListener(
    "close",
    function (event) {
      if (event.target && event.target.id === "connection-dialog") {
        var body = document.getElementById("connection-dialog-body");
        if (body) {
          body.replaceChildren();
        }
        // Back to the control that opened it, or its new copy in the re-rendered grid.
        window.setTimeout(function () {
          var back = opener && document.getElementById(opener);
          if (back && (document.activeElement === document.body || !document.activeElement)) {
            back.focus();
          }
        }, 0);
      }
    },
    true
  );
})();
