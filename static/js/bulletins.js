// Bulletins: copy buttons for the Zalo text (checklist and bulletin pages) and the length
// counter of the Zalo text in the editor. No inline script: everything is wired by data-
// attributes, so the page works under a Content-Security-Policy without 'unsafe-inline'.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain HTTP (a local network): the old way, through a temporary text area.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "position-fixed top-0 start-0 opacity-0";
    document.body.appendChild(area);
    area.select();
    try {
      document.execCommand("copy");
    } finally {
      document.body.removeChild(area);
    }
    return Promise.resolve();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) {
      return;
    }
    copyText(source.textContent).then(function () {
      var label = button.querySelector("span");
      var before = label ? label.textContent : "";
      if (label) {
        label.textContent = button.getAttribute("data-copied-label") || before;
      }
      button.classList.add("active");
      window.setTimeout(function () {
        if (label) {
          label.textContent = before;
        }
        button.classList.remove("active");
      }, 2000);
    });
  });

  function updateCounter(area) {
    var output = document.getElementById(area.getAttribute("data-counter"));
    if (!output) {
      return;
    }
    var length = Array.from(area.value).length; // emoji count as one character
    var recommended = parseInt(area.getAttribute("data-recommended"), 10) || 0;
    output.textContent = length + " / " + (area.getAttribute("maxlength") || "");
    output.classList.toggle("by-counter-over", recommended > 0 && length > recommended);
  }

  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    updateCounter(area);
    area.addEventListener("input", function () {
      updateCounter(area);
    });
  });

  document.querySelectorAll("[data-clear-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var area = document.getElementById(button.getAttribute("data-clear-target"));
      if (area) {
        area.value = "";
        updateCounter(area);
        area.focus();
      }
    });
  });
})();
