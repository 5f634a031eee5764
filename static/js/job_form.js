// The job form: "Retries" shows only for onFailure=retry, "Fallback pipeline" only for fallback;
// choosing an application or a pipeline redraws the form so the selects offer the right ids.
// Beside the rows, a drawing of the job as it stands: each pipeline in the column after the last
// one it runs after, an arrow per "Runs after", and what happens when it fails.
(function () {
  var ONLY_FOR = { max_retries: "retry", fallback: "fallback" };
  var SVG = "http://www.w3.org/2000/svg";
  var NODE_W = 220, NODE_H = 48, GAP_X = 70, GAP_Y = 18, PAD = 14;

  function sync() {
    document.querySelectorAll("select[name$='-on_failure']").forEach(function (select) {
      var card = select.closest("fieldset");
      Object.keys(ONLY_FOR).forEach(function (name) {
        var field = card && card.querySelector("[data-field='" + name + "']");
        if (field) field.hidden = select.value !== ONLY_FOR[name];
      });
    });
    drawJob();
  }

  function valueOf(card, suffix) {
    var field = card.querySelector("[name$='-" + suffix + "']");
    return field ? field.value : "";
  }

  // The rows as the author has them now: id, runs after, failure policy.
  function readRows() {
    return Array.from(document.querySelectorAll("#job-body fieldset.ref-card")).map(function (card, index) {
      var after = Array.from(card.querySelectorAll("input[name$='-depends_on']:checked")).map(function (box) {
        return box.value;
      });
      return {
        id: valueOf(card, "id"),
        label: valueOf(card, "id") || "pipeline " + (index + 1),
        after: after,
        onFailure: valueOf(card, "on_failure") || "halt",
        retries: valueOf(card, "max_retries"),
        fallback: valueOf(card, "fallback"),
      };
    });
  }

  // Column of each row: 0 when it runs after nothing, else one past the latest it runs after.
  function layers(rows) {
    var byId = {}, memo = {};
    rows.forEach(function (row, index) { if (row.id && !(row.id in byId)) byId[row.id] = index; });
    function layer(index, seen) {
      if (index in memo) return memo[index];
      if (seen[index]) return 0; // a cycle: the review page explains it
      seen[index] = true;
      var deepest = -1;
      rows[index].after.forEach(function (id) {
        if (id in byId) deepest = Math.max(deepest, layer(byId[id], seen));
      });
      seen[index] = false;
      return (memo[index] = deepest + 1);
    }
    return { of: rows.map(function (_, index) { return layer(index, {}); }), byId: byId };
  }

  function policyText(row) {
    if (row.onFailure === "retry") return "if it fails: retry" + (row.retries ? " ×" + row.retries : "");
    if (row.onFailure === "fallback") return "if it fails: run " + (row.fallback || "…");
    return "if it fails: " + row.onFailure;
  }

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clip(text, max) {
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  function drawJob() {
    var panel = document.getElementById("job-dag");
    if (!panel) return;
    var rows = readRows();
    panel.hidden = rows.length === 0;
    var drawing = panel.querySelector(".dag-drawing");
    drawing.textContent = "";
    if (!rows.length) return;
    var laid = layers(rows), columns = [], place = [];
    rows.forEach(function (row, index) {
      var column = laid.of[index];
      columns[column] = (columns[column] || 0) + 1;
      place[index] = { x: PAD + column * (NODE_W + GAP_X), y: PAD + (columns[column] - 1) * (NODE_H + GAP_Y) };
    });
    var width = PAD * 2 + columns.length * NODE_W + (columns.length - 1) * GAP_X;
    var height = PAD * 2 + Math.max.apply(null, columns) * (NODE_H + GAP_Y) - GAP_Y;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img" });
    svg.appendChild(el("title", {}, "The job's pipelines, in the order they run"));
    var defs = el("defs", {});
    var marker = el("marker", { id: "dag-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "dag-arrow" }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    rows.forEach(function (row, index) {
      row.after.forEach(function (id) {
        if (!(id in laid.byId)) return;
        var from = place[laid.byId[id]], to = place[index];
        var x1 = from.x + NODE_W, y1 = from.y + NODE_H / 2, x2 = to.x, y2 = to.y + NODE_H / 2, mid = (x1 + x2) / 2;
        svg.appendChild(el("path", {
          class: "dag-edge", "data-from": id, "data-to": row.id,
          d: "M " + x1 + " " + y1 + " C " + mid + " " + y1 + ", " + mid + " " + y2 + ", " + x2 + " " + y2,
          "marker-end": "url(#dag-arrow)",
        }));
      });
    });
    rows.forEach(function (row, index) {
      var at = place[index];
      var group = el("g", {
        class: "dag-node policy-" + row.onFailure + (row.id ? "" : " unnamed"),
        "data-id": row.id, "data-layer": laid.of[index], transform: "translate(" + at.x + " " + at.y + ")",
      });
      group.appendChild(el("title", {}, row.label + ": " + policyText(row)));
      group.appendChild(el("rect", { width: NODE_W, height: NODE_H, rx: 7 }));
      group.appendChild(el("text", { x: 10, y: 20 }, clip(row.label, 28)));
      group.appendChild(el("text", { x: 10, y: 38, class: "policy" }, clip(policyText(row), 36)));
      svg.appendChild(group);
    });
    drawing.appendChild(svg);
    var starts = rows.filter(function (_, index) { return laid.of[index] === 0; }).map(function (row) { return row.label; });
    panel.querySelector(".dag-legend").textContent =
      rows.length + " pipeline" + (rows.length === 1 ? "" : "s") + " in " + columns.length + " stage" +
      (columns.length === 1 ? "" : "s") + "; " + starts.join(", ") + (starts.length === 1 ? " starts" : " start") + " first.";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name$='-on_failure']")) sync();
    else if (event.target.closest && event.target.closest("#job-body fieldset.ref-card")) drawJob();
    if (event.target.matches("[data-refresh]")) {
      var refresh = document.getElementById("job-refresh");
      if (refresh) refresh.click();
    }
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches("input[name$='-max_retries']")) drawJob();
  });
  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("htmx:afterSettle", sync);
})();
