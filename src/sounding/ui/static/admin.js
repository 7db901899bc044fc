// Administration pages: copy a new token, and never show it again on reload.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () {
      button.textContent = "Copied";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        button.textContent = "Select and copy";
      });
    } else {
      button.textContent = "Selected: press Ctrl+C";
    }
  });

  // the page that shows a new token answers a POST: turn its history entry into a plain GET
  // of the list, so reloading (or coming back to) it shows the list, never the token again
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-token-shown]") && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname);
    }
  });
})();
