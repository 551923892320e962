/*
 * Peering Portal — small progressive enhancements. Every page works without this file:
 * the subscription switcher has its own button, and copy buttons stay hidden.
 *
 *  - select[data-autosubmit] submits its form on change (the form's button gets .js-hide);
 *  - [data-copy="text"] copies its text to the clipboard and announces "Copied";
 *  - .js-show elements (rendered `hidden`) are revealed, since they need this script;
 *  - an error summary's links focus their field.
 * After a swap htmx focuses the new content's [autofocus] (a tab's heading or error summary).
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

  // ARM names have at most 63 characters. A browser's maxlength cuts a pasted name without a
  // word, so the limit becomes a live counter instead: everything typed stays in the field, the
  // counter says how many characters are too many, and the server refuses it with a message.
  var NAME_LIMIT = 63;

  function countName(input, counter) {
    var length = input.value.length;
    var over = length - NAME_LIMIT;
    counter.textContent =
      over > 0
        ? length + "/" + NAME_LIMIT + " characters: " + over + " too many. A name has at most " +
          NAME_LIMIT + " characters."
        : length + "/" + NAME_LIMIT + " characters";
    counter.classList.toggle("text-danger", over > 0);
  }

  function addNameCounter(input) {
    if (input.hasAttribute("data-name-counter")) {
      return;
    }
    input.setAttribute("data-name-counter", "");
    input.removeAttribute("maxlength");
    var counter = document.createElement("div");
    counter.className = "form-text name-counter";
    counter.id = (input.id || input.name) + "-counter";
    counter.setAttribute("aria-live", "polite");
    counter.setAttribute("data-testid", "name-counter");
    input.insertAdjacentElement("afterend", counter);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    countName(input, counter);
    input.addEventListener("input", function () {
      countName(input, counter);
    });
  }

  function enhance(root) {
    root.querySelectorAll(".js-show[hidden]").forEach(function (el) {
      el.hidden = false;
    });
    root
      .querySelectorAll('input[maxlength="' + NAME_LIMIT + '"]:not([type="search"])')
      .forEach(addNameCounter);
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

  // An error summary's links move the focus to their field (a fragment link only scrolls).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-error-summary] a[href^='#']") : null;
    if (!link) {
      return;
    }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.scrollIntoView({block: "center"});
      field.focus();
    }
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

/*
 * A table box that scrolls sideways (.table-responsive, or a section holding a table) must be
 * reachable by keyboard (WCAG 2.1.1, axe "scrollable-region-focusable"): while its content is
 * wider than the box it is a focusable region named by the table's caption; when it fits, it
 * is no tab stop. Checked on load, after htmx swaps, on resize and when a <details> opens.
 */
(function () {
  "use strict";

  function boxes(root) {
    var found = [];
    root.querySelectorAll(".table-responsive, section").forEach(function (box) {
      if (box.classList.contains("table-responsive") || box.querySelector(":scope > table")) {
        found.push(box);
      }
    });
    return found;
  }

  // The region's name: the table's caption, else the heading of the section it is in, saying
  // that it scrolls (so it never repeats the section's own name); unique on the page (axe
  // "landmark-unique").
  function regionName(box, used) {
    var caption = box.querySelector("caption");
    var name = caption ? caption.textContent.trim() : "";
    if (!name) {
      var section = box.closest("section[aria-labelledby]");
      var heading = section && document.getElementById(section.getAttribute("aria-labelledby"));
      name = heading ? heading.textContent.trim() : "Table";
    }
    name += ", scrolls sideways";
    var unique = name;
    for (var n = 2; used[unique]; n++) {
      unique = name + " " + n;
    }
    used[unique] = true;
    return unique;
  }

  function update() {
    var used = {};
    boxes(document).forEach(function (box) {
      if (box.getAttribute("role") === "region" && box.hasAttribute("data-scroll-region")) {
        used[box.getAttribute("aria-label")] = true;
      }
    });
    boxes(document).forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-region", "");
        if (box.tagName !== "SECTION") {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", regionName(box, used));
        }
      } else if (!scrolls && box.hasAttribute("data-scroll-region")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-region");
        if (box.tagName !== "SECTION") {
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
        }
      }
    });
  }

  var pending = null;
  function later() {
    window.clearTimeout(pending);
    pending = window.setTimeout(update, 100);
  }

  document.addEventListener("htmx:afterSettle", update);
  document.addEventListener("toggle", update, true);
  window.addEventListener("resize", later);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
})();
