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

  // ARM names have at most 63 characters. A browser's maxlength would cut a pasted name without
  // a word, so name inputs carry data-name-limit instead (portal.forms.ArmNameField) and get a
  // live counter: everything typed stays in the field, the counter says how many characters are
  // too many, and the server refuses it with a message (also without JavaScript).
  function countName(input, counter, limit) {
    var length = input.value.length;
    var over = length - limit;
    counter.textContent =
      over > 0
        ? length + "/" + limit + " characters: " + over + " too many. A name has at most " +
          limit + " characters."
        : length + "/" + limit + " characters";
    counter.classList.toggle("text-danger", over > 0);
  }

  function addNameCounter(input) {
    if (input.hasAttribute("data-name-counter")) {
      return;
    }
    var limit = parseInt(input.getAttribute("data-name-limit"), 10);
    if (!(limit > 0)) {
      return;
    }
    input.setAttribute("data-name-counter", "");
    var counter = document.createElement("div");
    counter.className = "form-text name-counter";
    counter.id = (input.id || input.name) + "-counter";
    counter.setAttribute("aria-live", "polite");
    counter.setAttribute("data-testid", "name-counter");
    input.insertAdjacentElement("afterend", counter);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    countName(input, counter, limit);
    input.addEventListener("input", function () {
      countName(input, counter, limit);
    });
  }

  function enhance(root) {
    root.querySelectorAll(".js-show[hidden]").forEach(function (el) {
      el.hidden = false;
    });
    root
      .querySelectorAll("input[data-name-limit]")
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

/*
 * Nothing typed is lost to a late response (issue 12, item 3). A field's change may re-render
 * other parts of its form (htmx); a response that left before the user typed or chose
 * something else arrives with that field as it was. Every edit is numbered as it happens; a
 * response puts back, after its swap, the value of each field edited since its request left.
 */
(function () {
  "use strict";

  var count = 0;
  var edited = {}; // field name → number of its latest edit

  function record(event) {
    var field = event.target;
    if (field && field.name && field.form) {
      count += 1;
      edited[field.name] = count;
    }
  }
  // Capture: numbered before htmx (listening on the field) sends the request it triggers, so
  // the field that asked is not "edited since" its own request.
  document.addEventListener("input", record, true);
  document.addEventListener("change", record, true);

  document.addEventListener("htmx:beforeRequest", function (event) {
    event.detail.xhr.editsBefore = count;
  });

  function fields(name) {
    return Array.prototype.filter.call(document.querySelectorAll("[name]"), function (el) {
      return el.name === name && el.form;
    });
  }

  function current(name) {
    var els = fields(name);
    if (!els.length) {
      return null;
    }
    if (els[0].type === "radio") {
      var checked = els.filter(function (el) { return el.checked; })[0];
      return {radio: checked ? checked.value : null};
    }
    if (els[0].type === "checkbox") {
      return {checked: els[0].checked};
    }
    return {value: els[0].value};
  }

  function restore(name, kept) {
    fields(name).forEach(function (el) {
      if ("radio" in kept) {
        el.checked = el.value === kept.radio;
      } else if ("checked" in kept) {
        el.checked = kept.checked;
      } else if (el.tagName === "SELECT") {
        var offered = Array.prototype.some.call(el.options, function (option) {
          return option.value === kept.value;
        });
        if (offered) {
          el.value = kept.value;
        }
      } else if (el.value !== kept.value) {
        el.value = kept.value;
      }
    });
  }

  var pending = [];
  document.addEventListener("htmx:beforeSwap", function (event) {
    var since = event.detail.xhr.editsBefore;
    if (since === undefined) {
      return;
    }
    var kept = {};
    Object.keys(edited).forEach(function (name) {
      if (edited[name] > since) {
        var value = current(name);
        if (value) {
          kept[name] = value;
        }
      }
    });
    pending.push(kept);
  });

  function putBack() {
    pending.splice(0).forEach(function (kept) {
      Object.keys(kept).forEach(function (name) {
        restore(name, kept[name]);
      });
    });
  }
  // afterSwap fires once every part of the response (out of band ones too) is in place.
  document.addEventListener("htmx:afterSwap", putBack);
  document.addEventListener("htmx:afterSettle", putBack);
})();
