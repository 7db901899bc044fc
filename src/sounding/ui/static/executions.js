// The execution monitor (/executions/{id}): draws the step DAG with cytoscape.js at the
// server's positions, then follows the live stream (/executions/{id}/live, server-sent
// events). Each message carries only what changed since the last one (at most a few a
// second); this updates just those cells, nodes and log lines, and asks htmx to refresh the
// task table and the timeline at most every REFRESH_MS. No inline scripts: the first state
// comes in the JSON block #exec-data.
(function () {
  "use strict";

  var source = document.getElementById("exec-data");
  if (!source) return;
  var data = JSON.parse(source.textContent);
  var FINAL = { completed: 1, failed: 1, cancelled: 1 };
  var REFRESH_MS = 2000;
  var LOG_MAX = 40;
  var status = data.status;
  var lastSeq = data.after || 0;
  window.soundingExecution = { updates: 0, lastUpdate: null, status: status };

  // --- the DAG ---
  var cy = null;
  var container = document.getElementById("exec-cy");
  var COLOURS = {
    pending: "#d5dbe1", initializing: "#d5dbe1", running: "#3b82f6", retrying: "#3b82f6",
    paused: "#f5a623", completed: "#2f9e55", failed: "#d92d20", cancelled: "#6b7280",
    skipped: "#eef0f2"
  };
  if (container && typeof window.cytoscape === "function") {
    var elements = data.nodes.map(function (n) {
      return { group: "nodes", data: { id: n.id, label: n.id + "\n" + n.type, status: n.status || "pending" },
               position: { x: n.x, y: n.y } };
    }).concat(data.edges.map(function (e, i) {
      return { group: "edges", data: { id: "e" + i, source: e.source, target: e.target } };
    }));
    var style = [
      { selector: "node", style: {
        "shape": "round-rectangle", "width": 180, "height": 56, "label": "data(label)",
        "text-wrap": "wrap", "text-max-width": 170, "font-size": 12, "text-valign": "center",
        "text-halign": "center", "background-color": "#d5dbe1", "border-width": 1,
        "border-color": "#5b6b7a", "color": "#17212b"
      } },
      { selector: "edge", style: {
        "width": 2, "line-color": "#8796a5", "target-arrow-color": "#8796a5",
        "target-arrow-shape": "triangle", "curve-style": "bezier"
      } }
    ];
    Object.keys(COLOURS).forEach(function (st) {
      var dark = st === "running" || st === "retrying" || st === "completed" || st === "failed" || st === "cancelled";
      style.push({ selector: "node[status = '" + st + "']", style: {
        "background-color": COLOURS[st], "color": dark ? "#ffffff" : "#17212b"
      } });
    });
    cy = window.cytoscape({
      container: container, elements: elements, style: style, layout: { name: "preset" },
      wheelSensitivity: 0.3, minZoom: 0.2, maxZoom: 2.5, autoungrabify: true
    });
    cy.fit(undefined, 20);
    if (cy.zoom() > 1.2) { cy.zoom(1.2); cy.center(); }
  }

  // --- the step table ---
  var rows = {};
  document.querySelectorAll("[data-step-row]").forEach(function (row) {
    var cells = {};
    row.querySelectorAll("[data-f]").forEach(function (el) { cells[el.getAttribute("data-f")] = el; });
    rows[row.getAttribute("data-step-row")] = cells;
  });

  function number(n) { return (n == null ? 0 : n).toLocaleString("en"); }
  function duration(seconds) {
    if (seconds == null) return "—";
    if (seconds < 10) return seconds.toFixed(2) + " s";
    var s = Math.round(seconds);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function setBadge(el, value) {
    if (!el || !value) return;
    el.className = "badge st " + value;
    el.textContent = value;
  }

  function updateStep(s) {
    var cells = rows[s.id];
    if (!cells) return;
    var st = s.status || (cells.status && cells.status.textContent);
    if (s.status) {
      setBadge(cells.status, s.status);
      if (cy) cy.getElementById(s.id).data("status", s.status);
    }
    if (s.done != null && cells.done) cells.done.textContent = number(s.done);
    if (s.total != null && cells.total) cells.total.textContent = number(s.total);
    if (s.failed != null && cells.failed) {
      cells.failed.textContent = number(s.failed);
      cells.failed.className = s.failed ? "bad" : "";
    }
    if (cells.bar && (s.total != null || s.done != null)) {
      var total = s.total != null ? s.total : Number(cells.bar.max);
      var done = (s.done || 0) + (s.failed || 0);
      cells.bar.max = Math.max(total, 1);
      cells.bar.value = done;
      cells.bar.textContent = (s.percent || 0) + "%";
    }
    if (cells.eta && s.eta !== undefined) {
      cells.eta.textContent = (st in FINAL || st === "skipped" || !s.eta) ? "—" : duration(s.eta);
    }
  }

  // --- the event log ---
  var log = document.getElementById("exec-log");
  function addLog(entries) {
    if (!log) return;
    entries.forEach(function (e) {
      if (e.seq <= lastSeq) return;
      lastSeq = e.seq;
      var li = document.createElement("li");
      li.setAttribute("data-seq", String(e.seq));
      var time = document.createElement("time");
      time.setAttribute("datetime", e.at);
      time.textContent = e.at.substring(11, 19);
      var text = document.createElement("span");
      text.className = "k-" + e.kind;
      text.textContent = e.message;
      li.appendChild(time);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text);
      log.appendChild(li);
    });
    while (log.children.length > LOG_MAX) log.removeChild(log.firstElementChild);
    log.scrollTop = log.scrollHeight;
  }

  // --- the parts htmx refreshes: tasks (page 1 only), timeline, header with the buttons ---
  var pending = null;
  var lastRefresh = 0;
  function refreshParts() {
    pending = null;
    lastRefresh = Date.now();
    if (!window.htmx) return;
    var tasks = document.getElementById("exec-tasks");
    if (tasks && tasks.getAttribute("data-live")) window.htmx.trigger(tasks, "refresh");
    var timeline = document.getElementById("exec-timeline");
    if (timeline) window.htmx.trigger(timeline, "refresh");
  }
  function scheduleRefresh(now) {
    if (pending) return;
    var wait = now ? 0 : Math.max(0, REFRESH_MS - (Date.now() - lastRefresh));
    pending = setTimeout(refreshParts, wait);
  }
  function refreshHead() {
    if (window.htmx && document.getElementById("exec-head")) {
      window.htmx.ajax("GET", "/executions/" + encodeURIComponent(data.id) + "/head",
                       { target: "#exec-head", swap: "outerHTML" });
    }
  }
  // a button's answer replaced the header: its badge has the new status
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "exec-head" || (event.detail && event.detail.target && event.detail.target.id === "exec-head")) {
      var badge = document.getElementById("exec-status");
      if (badge) status = badge.getAttribute("data-status") || status;
      window.soundingExecution.status = status;
      if (status === "retrying" || status === "running") follow();
    }
  });

  // --- the live stream ---
  var live = document.getElementById("exec-live");
  var stream = null;
  function onUpdate(event) {
    var msg = JSON.parse(event.data);
    msg.steps.forEach(updateStep);
    addLog(msg.log || []);
    if (msg.status && msg.status !== status) {
      status = msg.status;
      var badge = document.getElementById("exec-status");
      setBadge(badge, status);
      if (badge) badge.setAttribute("data-status", status);
      refreshHead();
    }
    window.soundingExecution.updates += 1;
    window.soundingExecution.lastUpdate = msg;
    window.soundingExecution.status = status;
    if (msg.final) {
      stop("finished");
      scheduleRefresh(true);
    } else {
      scheduleRefresh(false);
    }
  }
  function stop(text) {
    if (stream) { stream.close(); stream = null; }
    if (live) live.textContent = text;
  }
  function follow() {
    if (stream || typeof window.EventSource !== "function") return;
    stream = new window.EventSource(data.live + "?after=" + lastSeq);
    stream.addEventListener("update", onUpdate);
    stream.addEventListener("open", function () { if (live) live.textContent = "live"; });
    stream.addEventListener("error", function () {
      if (live && stream) live.textContent = "reconnecting…";
    });
    if (live) live.textContent = "live";
  }
  if (!(status in FINAL)) follow();
})();
