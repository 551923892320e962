/*
 * Peering Portal — small progressive enhancements. Every page works without this file:
 * the subscription switcher has its own button, and copy buttons stay hidden.
 *
 *  - select[data-autosubmit] submits its form on change (the form's button gets .js-hide);
 *  - [data-copy="text"] copies its text to the clipboard and announces "Copied";
 *  - .js-show elements (rendered `hidden`) are revealed, since they need this script.
 */
(function () {
  "use strict";

  // CSS hides .js-hide under html.js; set first so the Switch button never flashes.
  document.documentElement.classList.add("js");

  function announce(message) {
    var region = document.getElementById("live-region");
    if (!region) {
      return;
    }
    // Clearing first makes screen readers repeat the same message on a second copy.
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = message;
    }, 50);
  }

  function copyWithSelection(text) {
    // Fallback for pages served over plain HTTP, where navigator.clipboard is unavailable.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyWithSelection(text);
      });
    }
    return copyWithSelection(text);
  }

  function enhance(root) {
    root.querySelectorAll(".js-show[hidden]").forEach(function (el) {
      el.hidden = false;
    });
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
      if (typeof select.form.requestSubmit === "function") {
        select.form.requestSubmit();
      } else {
        select.form.submit();
      }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) {
      return;
    }
    event.preventDefault();
    copyText(button.getAttribute("data-copy")).then(
      function () {
        button.classList.add("is-copied");
        announce("Copied");
        window.setTimeout(function () {
          button.classList.remove("is-copied");
        }, 1500);
      },
      function () {
        announce("Could not copy. Select the text and copy it instead.");
      }
    );
  });

  // Fragments swapped in by htmx need the same treatment as the first page.
  document.addEventListener("htmx:load", function (event) {
    enhance(event.target);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      enhance(document);
    });
  } else {
    enhance(document);
  }
})();
