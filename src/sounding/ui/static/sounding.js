// Sounding's own browser code: small, no inline scripts (the CSP forbids them).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function toast(message, kind) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.className = "toast " + (kind || "info");
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  window.sounding = { toast: toast, csrfToken: csrfToken };

  // every htmx request carries the session's CSRF token
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // an htmx request that failed: say what the server said (its error fragment's text)
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = "";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var alert = doc.querySelector(".alert") || doc.body;
      text = (alert && alert.textContent || "").trim();
    } catch (e) { text = ""; }
    toast(text || ("Request failed (" + xhr.status + ")"), "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server did not answer; check that it is running and try again", "error");
  });

  // a message the server attached to an htmx answer (HX-Trigger: {"toast": "..."})
  document.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    toast(detail.value || detail.message || "", detail.kind || "info");
  });

  // forms and buttons with data-confirm ask first (no inline onclick under the CSP)
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // a checkbox with data-check-all="NAME" ticks or clears every checkbox named NAME
  document.addEventListener("change", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-check-all");
    if (!name) return;
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });
})();
