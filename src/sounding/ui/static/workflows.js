// Workflow pages (/workflows/...): draws the DAG the server laid out (cytoscape.js, preset
// positions: no layout runs in the browser) and keeps the YAML editor's line numbers in step
// with its text. No inline scripts: the graph comes in the JSON block #dag-data.
(function () {
  "use strict";

  function drawDag() {
    var source = document.getElementById("dag-data");
    var container = document.getElementById("dag");
    if (!source || !container || typeof window.cytoscape !== "function") return;
    var data = JSON.parse(source.textContent);
    var cy = window.cytoscape({
      container: container,
      elements: data.elements,
      layout: { name: "preset", fit: true, padding: 24 },
      style: [
        { selector: "node", style: {
          "shape": "round-rectangle", "width": "data(width)", "height": "data(height)",
          "label": "data(label)", "font-size": 13, "text-valign": "center", "text-halign": "center",
          "text-wrap": "ellipsis", "text-max-width": 180,
          "background-color": "#e0f1f8", "border-width": 1, "border-color": "#1f7a9c", "color": "#17212b"
        } },
        { selector: "edge", style: {
          "curve-style": "bezier", "width": 1.5, "line-color": "#8796a5",
          "target-arrow-shape": "triangle", "target-arrow-color": "#8796a5"
        } }
      ],
      minZoom: 0.1,
      maxZoom: 2,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
      autoungrabify: true
    });
    if (cy.zoom() > 1.2) { cy.zoom(1.2); cy.center(); }
    container.setAttribute("data-drawn", String(cy.nodes().length));
  }

  function editor(box) {
    var area = box.querySelector("textarea");
    var gutter = box.querySelector(".gutter");
    if (!area || !gutter) return;
    var errors = {};
    (box.getAttribute("data-error-lines") || "").split(",").forEach(function (n) {
      if (n) errors[n] = true;
    });
    var shown = -1;
    function numbers() {
      var count = area.value.split("\n").length;
      if (count === shown) return;
      shown = count;
      var frag = document.createDocumentFragment();
      for (var i = 1; i <= count; i++) {
        var span = document.createElement("span");
        span.textContent = String(i);
        if (errors[String(i)]) span.className = "err";
        frag.appendChild(span);
      }
      gutter.textContent = "";
      gutter.appendChild(frag);
    }
    area.addEventListener("input", numbers);
    area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
    numbers();
  }

  // a problem's "Line N" link also puts the editor's caret on that line
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#yaml-line-"]');
    var area = document.getElementById("yaml-text");
    if (!link || !area) return;
    event.preventDefault();
    var line = parseInt(link.getAttribute("href").slice("#yaml-line-".length), 10);
    var lines = area.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    var end = start + (lines[line - 1] || "").length;
    area.focus();
    area.setSelectionRange(start, end);
    area.scrollTop = Math.max(0, (line - 4) * 20);
  });

  // the duration chart is another page family's fragment: while it has nothing to show
  // (or is not mounted), its container says so quietly instead of raising an error toast
  function quietChart() {
    var chart = document.getElementById("duration-chart");
    if (!chart) return;
    chart.addEventListener("htmx:responseError", function (event) {
      if (event.detail.xhr && event.detail.xhr.status === 404) {
        event.stopPropagation();
        chart.textContent = "";
      }
    });
  }

  function start() {
    quietChart();
    drawDag();
    Array.prototype.forEach.call(document.querySelectorAll(".code-editor"), editor);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
