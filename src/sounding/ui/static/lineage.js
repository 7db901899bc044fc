// The lineage explorer (/lineage): draws the server's laid-out graph with cytoscape.js
// (preset positions, never a client layout), expands a clicked node by asking the server for
// the graph with that node expanded, and highlights paths. No inline scripts: the first graph
// comes in the JSON block #lineage-data.
(function () {
  "use strict";

  var source = document.getElementById("lineage-data");
  var container = document.getElementById("cy");
  if (!source || !container || typeof window.cytoscape !== "function") return;

  var marks = { start: performance.now() };  // where first render time goes (the bench reads it)
  var data = JSON.parse(source.textContent);
  marks.parsed = performance.now();
  var state = {
    focusRef: data.focusRef,
    focus: data.focus,
    depth: String(data.depth),
    level: data.level,
    expanded: (data.expanded || []).map(String),
    more: (data.more || []).map(String),
    selected: null,
    busy: false
  };
  var BIG = 1500;  // elements above which the cheap drawing settings are used
  var big = data.elements.length > BIG;

  function toast(message, kind) {
    if (window.sounding && window.sounding.toast) window.sounding.toast(message, kind);
  }
  function status(message) {
    var box = document.getElementById("graph-status");
    if (box) box.textContent = message;
  }

  var style = [
    { selector: "node", style: {
      "shape": "round-rectangle",
      "width": 200, "height": 40,  // the server layout's sizes (LayoutOptions)
      "label": "data(label)", "font-size": 12, "min-zoomed-font-size": 7,
      "text-valign": "center", "text-halign": "center",
      "text-wrap": "ellipsis", "text-max-width": 190,
      "background-color": "#eef0f2", "border-width": 1, "border-color": "#8796a5",
      "color": "#17212b"
    } },
    { selector: "node[w]", style: { "width": "data(w)", "height": "data(h)", "text-max-width": 170 } },
    { selector: "node[kind = 'upstream']", style: { "background-color": "#d6e9f8" } },
    { selector: "node[kind = 'downstream']", style: { "background-color": "#dff3e4" } },
    { selector: "node[kind = 'focus']", style: {
      "background-color": "#f5a623", "border-width": 2, "border-color": "#7a4d00", "font-weight": "bold"
    } },
    { selector: "node:parent", style: {
      "text-valign": "top", "text-halign": "center",
      "padding": 8, "background-opacity": 0.35, "font-weight": "bold", "font-size": 12, "text-margin-y": -2
    } },
    { selector: "node:childless[type = 'column']", style: { "font-size": 11, "shape": "rectangle" } },
    { selector: "node[kind = 'focus'][type = 'column']", style: {
      "background-color": "#fbd48c", "border-width": 1, "font-weight": "normal"
    } },
    { selector: "edge", style: {
      "curve-style": big ? "haystack" : "straight",
      "width": 1.2, "line-color": "#8796a5",
      "target-arrow-shape": big ? "none" : "triangle", "target-arrow-color": "#8796a5",
      "arrow-scale": 0.8
    } },
    { selector: ".faded", style: { "opacity": 0.2 } },
    { selector: "node.onpath", style: { "border-width": 3, "border-color": "#b42318", "opacity": 1 } },
    { selector: "edge.onpath", style: {
      "line-color": "#b42318", "target-arrow-color": "#b42318", "width": 3, "opacity": 1, "z-index": 10
    } },
    { selector: "node.picked", style: { "border-width": 3, "border-color": "#0b4f6c" } },
    { selector: "node.fresh", style: { "border-color": "#1a7f37", "border-width": 3 } }
  ];

  var cy = window.cytoscape({
    container: container,
    elements: data.elements,
    layout: { name: "preset", fit: false },
    style: style,
    minZoom: 0.02,
    maxZoom: 3,
    boxSelectionEnabled: false,
    autoungrabify: true,
    textureOnViewport: big,
    hideEdgesOnViewport: big,
    motionBlur: false,
    pixelRatio: big ? 1 : "auto"
  });

  marks.created = performance.now();
  cy.nodes().panify();  // nodes cannot be dragged: dragging one pans the view
  marks.panified = performance.now();

  // everything in view (boxes without labels: measuring 10,000 labels is slow); a capped
  // view keeps labels readable instead, centred on the focus
  // the box around every node, from the server's positions and sizes: asking cytoscape
  // would compute the style of every element first (seconds at 10,000 elements)
  function extentOf(elements) {
    var bb = { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
    elements.forEach(function (el) {
      if (!el.position) return;
      var w = (el.data.w || 200) / 2;
      var h = (el.data.h || 40) / 2;
      bb.x1 = Math.min(bb.x1, el.position.x - w); bb.x2 = Math.max(bb.x2, el.position.x + w);
      bb.y1 = Math.min(bb.y1, el.position.y - h); bb.y2 = Math.max(bb.y2, el.position.y + h);
    });
    if (bb.x1 === Infinity) bb = { x1: 0, y1: 0, x2: 1, y2: 1 };
    bb.w = bb.x2 - bb.x1; bb.h = bb.y2 - bb.y1;
    return bb;
  }

  function fit() {
    var bb = state.extent || cy.elements().boundingBox({ includeLabels: false, includeOverlays: false });
    state.extent = null;
    var pad = 30;
    var zoom = Math.min((cy.width() - 2 * pad) / Math.max(bb.w, 1), (cy.height() - 2 * pad) / Math.max(bb.h, 1));
    zoom = Math.max(Math.min(zoom, 1.2), cy.minZoom());
    var cx = bb.x1 + bb.w / 2;
    var cyy = bb.y1 + bb.h / 2;
    if (state.depth !== "max" && zoom < 0.6) {
      zoom = 0.6;
      var focus = cy.getElementById(state.focus);
      if (focus.nonempty()) { cx = focus.position("x"); cyy = focus.position("y"); }
    }
    cy.viewport({ zoom: zoom, pan: { x: cy.width() / 2 - zoom * cx, y: cy.height() / 2 - zoom * cyy } });
  }
  state.extent = extentOf(data.elements);
  fit();
  marks.fitted = performance.now();
  cy.one("render", function () {
    state.firstRenderMs = marks.rendered = performance.now();  // since navigation started
    container.setAttribute("data-ready", "1");
  });

  // --- the node panel: a keyboard way to every drawn node -----------------------------

  var pick = document.getElementById("node-pick");
  var PICK_LIMIT = 3000;

  function label(node) { return node.data("qn") || node.data("label") || node.id(); }

  function fillPick() {
    if (!pick) return;
    while (pick.options.length > 1) pick.remove(1);
    var nodes = cy.nodes().sort(function (a, b) { return label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0; });
    var shown = 0;
    nodes.forEach(function (node) {
      if (shown >= PICK_LIMIT) return;
      var option = document.createElement("option");
      option.value = node.id();
      option.textContent = label(node) + " (" + node.data("type") + ")";
      pick.appendChild(option);
      shown += 1;
    });
    if (nodes.length > PICK_LIMIT) {
      var more = document.createElement("option");
      more.disabled = true;
      more.textContent = "… " + (nodes.length - PICK_LIMIT) + " more (click them in the graph)";
      pick.appendChild(more);
    }
    if (state.selected) pick.value = state.selected;
  }

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function lineageUrl(focus) {
    var params = new URLSearchParams({ focus: focus });
    if (state.depth !== "1") params.set("depth", state.depth);
    if (state.level !== "table") params.set("level", state.level);
    return "/lineage?" + params.toString();
  }

  function showNode(node) {
    cy.nodes(".picked").removeClass("picked");
    var info = document.getElementById("node-info");
    var expand = document.getElementById("node-expand");
    var path = document.getElementById("node-path");
    var open = document.getElementById("node-open");
    var focusHere = document.getElementById("node-focus");
    if (!node || node.empty()) {
      state.selected = null;
      if (info) info.hidden = true;
      [expand, path].forEach(function (b) { if (b) b.disabled = true; });
      [open, focusHere].forEach(function (a) { if (a) a.hidden = true; });
      if (pick) pick.value = "";
      return;
    }
    state.selected = node.id();
    node.addClass("picked");
    if (info) info.hidden = false;
    setText("node-name", label(node));
    setText("node-type", node.data("type") || "");
    setText("node-owner", node.data("owner") || "no owner");
    var d = node.data("distance");
    setText("node-distance", d === undefined || d === null ? "–" :
      d === 0 ? "the focus" : Math.abs(d) + (d < 0 ? " upstream" : " downstream"));
    if (expand) {
      expand.disabled = !canExpand(node.id());
      expand.textContent = state.more.indexOf(node.id()) >= 0 ? "Show more neighbours" : "Expand one hop";
    }
    if (path) path.disabled = false;
    if (open) { open.hidden = false; open.href = "/assets/" + encodeURIComponent(node.id()); }
    if (focusHere) { focusHere.hidden = false; focusHere.href = lineageUrl(node.id()); }
    if (pick) pick.value = node.id();
  }

  // --- paths ----------------------------------------------------------------------------

  function clearPath() {
    cy.elements().removeClass("faded onpath");
  }

  function showPath(eles) {
    cy.batch(function () {
      cy.elements().removeClass("onpath").addClass("faded");
      eles.removeClass("faded").addClass("onpath");
      eles.nodes().ancestors().removeClass("faded");
    });
  }

  function isFocus(node) {
    return node.data("distance") === 0 || node.id() === state.focus;
  }

  // the shortest path between the focus and ``node``, along the edges' direction
  function pathFromFocus(node) {
    if (isFocus(node)) return node;
    if (node.isParent()) {  // a table around its columns: the shortest path to one of them
      var best = null;
      node.children().forEach(function (child) {
        var found = pathFromFocus(child);
        if (found && (!best || found.length < best.length)) best = found;
      });
      return best ? best.union(node) : null;
    }
    var backwards = (node.data("distance") || 0) >= 0;  // downstream: walk up to the focus
    var seen = {}; seen[node.id()] = null;
    var queue = [node];
    var found = null;
    while (queue.length && !found) {
      var current = queue.shift();
      var edges = backwards ? current.incomers("edge") : current.outgoers("edge");
      for (var i = 0; i < edges.length; i += 1) {
        var next = backwards ? edges[i].source() : edges[i].target();
        if (Object.prototype.hasOwnProperty.call(seen, next.id())) continue;
        seen[next.id()] = edges[i];
        if (isFocus(next)) { found = next; break; }
        queue.push(next);
      }
    }
    if (!found) return null;
    var out = cy.collection();
    var at = found;
    while (at) {
      out = out.union(at);
      var edge = seen[at.id()];
      if (!edge) break;
      out = out.union(edge);
      at = backwards ? edge.target() : edge.source();
    }
    return out;
  }

  function pathBetween(a, b) {
    var tries = [[a, b, true], [b, a, true], [a, b, false]];
    for (var i = 0; i < tries.length; i += 1) {
      var result = cy.elements().aStar({ root: tries[i][0], goal: tries[i][1], directed: tries[i][2] });
      if (result.found) return result.path;
    }
    return null;
  }

  function highlightFromFocus(node) {
    var path = pathFromFocus(node);
    if (path) {
      showPath(path);
      status("Path from the focus to " + label(node) + ": " + path.nodes().length + " nodes.");
    } else {
      clearPath();
      status(label(node) + " is not upstream or downstream of the focus in this drawing.");
    }
  }

  // a path given as asset ids (the impact table's): highlight what is drawn of it
  function highlightIds(ids) {
    var eles = cy.collection();
    var missing = 0;
    ids.forEach(function (id, i) {
      var node = cy.getElementById(id);
      if (node.empty()) { missing += 1; return; }
      eles = eles.union(node);
      if (i > 0) eles = eles.union(cy.getElementById(ids[i - 1]).edgesTo(node));
    });
    if (eles.empty()) {
      toast("This asset is not drawn: choose a greater depth or the whole graph to see its path.", "info");
      return;
    }
    showPath(eles);
    var last = cy.getElementById(ids[ids.length - 1]);
    if (missing) {
      toast(missing + " of the " + ids.length + " assets on this path are not drawn: choose depth " +
        (ids.length - 1) + " or more.", "info");
    } else {
      showNode(last);
      ensureVisible(eles);
    }
  }

  // --- expanding ------------------------------------------------------------------------

  function apply(answer) {
    var added = {};
    (answer.added || []).forEach(function (id) { added[id] = true; });
    var fresh = [];
    cy.batch(function () {
      cy.elements(".fresh").removeClass("fresh");
      answer.elements.forEach(function (el) {
        var existing = cy.getElementById(el.data.id);
        if (existing.nonempty()) {
          if (el.group === "nodes" && !existing.isParent() && el.position) existing.position(el.position);
          existing.data(el.data);
        } else {
          fresh.push(el);
        }
      });
      var eles = cy.add(fresh);
      eles.nodes().panify();
      eles.nodes().filter(function (n) { return added[n.id()]; }).addClass("fresh");
    });
    state.expanded = (answer.expanded || []).map(String);
    state.more = (answer.more || []).map(String);
    document.getElementById("graph-count").textContent = answer.nodes + " nodes, " + answer.edges + " edges";
    var overflow = document.getElementById("overflow");
    if (overflow) overflow.innerHTML = answer.overflowHtml || "";
    if (answer.url && answer.url !== location.pathname + location.search) {
      history.pushState({ lineage: answer.url }, "", answer.url);
    }
    fillPick();
    return fresh.length;
  }

  // bring an expanded node's neighbourhood into view (labels still readable)
  function reveal(node) {
    ensureVisible(node.closedNeighborhood().union(node.closedNeighborhood().parents()));
  }

  // move (and zoom out only as far as needed) so that ``eles`` are all in view
  function ensureVisible(eles) {
    var bb = eles.boundingBox({ includeLabels: false });
    var ext = cy.extent();
    if (bb.x1 >= ext.x1 && bb.x2 <= ext.x2 && bb.y1 >= ext.y1 && bb.y2 <= ext.y2) return;
    var zoom = Math.min(cy.zoom(), cy.width() / (bb.w + 80), cy.height() / (bb.h + 80));
    zoom = Math.max(Math.min(zoom, 1.2), 0.4);
    cy.animate({ zoom: zoom, center: { eles: eles }, duration: 250 });
  }

  // a node expands once, and again while some of its neighbours are left out
  function canExpand(id) {
    return state.depth !== "max" &&
      (state.expanded.indexOf(id) < 0 || state.more.indexOf(id) >= 0);
  }

  function expand(id) {
    if (state.busy || state.depth === "max") return Promise.resolve(0);
    if (!canExpand(String(id))) return Promise.resolve(0);
    state.busy = true;
    container.setAttribute("aria-busy", "true");
    var params = new URLSearchParams({ focus: state.focusRef, depth: state.depth, level: state.level });
    params.set("expand", state.expanded.concat([String(id)]).join(","));
    return fetch("/lineage/graph.json?" + params.toString(), {
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (!response.ok || !body || !body.elements) {
          var message = body && body.error && body.error.message;
          throw new Error(message || ("The server answered " + response.status + "; reload the page"));
        }
        return body;
      });
    }).then(function (body) {
      var before = cy.nodes().length;
      apply(body);
      var count = cy.nodes().length - before;
      var node = cy.getElementById(String(id));
      if (state.selected === node.id()) showNode(node);
      if (count) reveal(node);
      status(count ? "Expanded " + label(node) + ": " + count + " new nodes." :
        label(node) + " has no other neighbours.");
      if (body.overflow) toast(body.overflow + " neighbours are not drawn: see the table under the graph.", "info");
      return count;
    }).catch(function (error) {
      toast(error.message || String(error), "error");
      return 0;
    }).then(function (count) {
      state.busy = false;
      container.removeAttribute("aria-busy");
      return count;
    });
  }

  function select(node, opts) {
    showNode(node);
    highlightFromFocus(node);
    if (opts && opts.expand && state.depth !== "max") expand(node.id());
  }

  var previous = null;
  cy.on("tap", "node", function (event) {
    var node = event.target;
    var shift = event.originalEvent && event.originalEvent.shiftKey;
    if (shift && previous && previous.id() !== node.id() && previous.inside()) {
      var path = pathBetween(previous, node);
      showNode(node);
      if (path) {
        showPath(path);
        status("Path between " + label(previous) + " and " + label(node) + ".");
      } else {
        clearPath();
        status("No path between " + label(previous) + " and " + label(node) + " in this drawing.");
      }
    } else {
      select(node, { expand: true });
    }
    previous = node;
  });
  cy.on("tap", function (event) {
    if (event.target === cy) { clearPath(); showNode(null); previous = null; status(""); }
  });

  // --- controls ---------------------------------------------------------------------------

  function on(id, type, handler) {
    var el = document.getElementById(id);
    if (el) el.addEventListener(type, handler);
  }
  on("cy-fit", "click", fit);
  on("cy-zoom-in", "click", function () { cy.zoom({ level: cy.zoom() * 1.3, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } }); });
  on("cy-zoom-out", "click", function () { cy.zoom({ level: cy.zoom() / 1.3, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } }); });
  on("cy-clear", "click", function () { clearPath(); showNode(null); status(""); });
  on("node-pick", "change", function () {
    var node = pick.value ? cy.getElementById(pick.value) : null;
    if (node && node.nonempty()) {
      select(node, { expand: false });
      cy.animate({ center: { eles: node }, duration: 200 });
    } else {
      showNode(null);
    }
  });
  on("node-expand", "click", function () {
    if (state.selected) expand(state.selected);
  });
  on("node-path", "click", function () {
    var node = state.selected && cy.getElementById(state.selected);
    if (node && node.nonempty()) highlightFromFocus(node);
  });

  // the depth and level controls apply at once (the Show button is there without JS)
  var form = document.getElementById("lineage-controls");
  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target && (event.target.name === "depth" || event.target.name === "level")) {
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      }
    });
  }

  // the impact table's Path buttons (also after htmx swapped in another page of it)
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".path-btn");
    if (!button) return;
    var ids = (button.getAttribute("data-path") || "").split(" ").filter(Boolean);
    if (ids.length) highlightIds(ids);
  });

  // Back and Forward between expansions: the URL holds the state, so load it
  window.addEventListener("popstate", function () { location.reload(); });

  fillPick();
  if (data.truncated) status("Only the nearest nodes are drawn: the graph is larger than the limit.");
  marks.ready = performance.now();
  window.soundingLineage = {
    cy: cy, expand: expand, highlightIds: highlightIds, state: state, marks: marks
  };
})();
