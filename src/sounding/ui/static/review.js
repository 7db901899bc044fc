// The classification review queue: j/k move between labels, x selects, c confirms, r rejects
// (the selected labels, or the current one when none is selected), o opens its table, ? help.
// Keys typed into a field are never taken.
(function () {
  "use strict";

  var current = null; // the id of the current row, kept across htmx redraws

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#review-rows tr.review-row"));
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
    if (tag !== "input") return false;
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(type) < 0;
  }

  function focusRow(row) {
    if (!row) return;
    rows().forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    current = row.getAttribute("data-id");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    var all = rows();
    if (!all.length) return null;
    var found = current && document.getElementById("label-" + current);
    return found || null;
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var row = currentRow();
    var index = row ? all.indexOf(row) + step : (step > 0 ? 0 : all.length - 1);
    index = Math.max(0, Math.min(all.length - 1, index));
    focusRow(all[index]);
  }

  function picked() {
    return Array.prototype.slice.call(document.querySelectorAll("#review-rows input[name=id]:checked"));
  }

  function updateCount() {
    var box = document.getElementById("picked-count");
    var n = picked().length;
    if (box) box.textContent = n + " selected";
    var all = document.getElementById("pick-all");
    var boxes = document.querySelectorAll("#review-rows input[name=id]");
    if (all) {
      all.checked = boxes.length > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    ["bulk-confirm", "bulk-reject"].forEach(function (id) {
      var button = document.getElementById(id);
      if (button) button.disabled = n === 0;
    });
  }

  function toggle() {
    var row = currentRow();
    var box = row && row.querySelector("input[name=id]");
    if (!box) return;
    box.checked = !box.checked;
    updateCount();
  }

  function decide(action) {
    if (picked().length) {
      var bulk = document.getElementById(action === "confirm" ? "bulk-confirm" : "bulk-reject");
      if (bulk) bulk.click();
      return;
    }
    var row = currentRow();
    var button = row && row.querySelector("button[data-action=" + action + "]");
    if (button) button.click();
  }

  function help() {
    var dialog = document.getElementById("review-help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("review-table") && !document.getElementById("review-help")) return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    var dialog = document.getElementById("review-help");
    if (dialog && dialog.open) return; // the dialog handles its own keys (Esc closes)
    var handled = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": toggle(); break;
      case "c": decide("confirm"); break;
      case "r": decide("reject"); break;
      case "o": {
        var row = currentRow();
        var link = row && row.querySelector("th a");
        if (link) link.click(); else handled = false;
        break;
      }
      case "?": help(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.id === "pick-all") {
      document.querySelectorAll("#review-rows input[name=id]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target && (target.id === "pick-all" || target.name === "id")) updateCount();
  });

  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "review-help-open") help();
    var row = event.target && event.target.closest && event.target.closest("#review-rows tr.review-row");
    if (row) {
      current = row.getAttribute("data-id");
      rows().forEach(function (r) { r.classList.toggle("current", r === row); });
    }
  });

  // after a row (or every row) was redrawn: keep the current row and the selection count
  document.addEventListener("htmx:afterSettle", function () {
    var row = currentRow();
    if (row) focusRow(row);
    updateCount();
  });

  document.addEventListener("DOMContentLoaded", updateCount);
})();
