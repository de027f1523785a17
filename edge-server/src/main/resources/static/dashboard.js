// Draws every chart of a dashboard page with uPlot from the JSON the server put beside it.
// Kinds: "line" (time on x, epoch seconds), "bars" (categories; labels name them), "live" (polls pipeline.json).
(function () {
  "use strict";
  var COLORS = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];

  function width(el) { return Math.max(300, el.clientWidth || 800); }

  function draw(el, d) {
    var series = [{}];
    var data = [d.x];
    d.series.forEach(function (s, i) {
      var opts = { label: s.label, stroke: COLORS[i % COLORS.length] };
      if (d.kind === "bars") {
        opts.fill = COLORS[i % COLORS.length];
        opts.paths = uPlot.paths.bars({ size: [0.6, 80] });
      }
      series.push(opts);
      data.push(s.values);
    });
    var opts = { width: width(el), height: 280, series: series, scales: { x: { time: d.kind !== "bars" } } };
    if (d.kind === "bars") {
      opts.axes = [{ values: function (u, splits) { return splits.map(function (v) { return d.labels[v] || ""; }); } }, {}];
      opts.scales.x.range = [-0.5, d.x.length - 0.5];
    }
    return new uPlot(opts, data, el);
  }

  function live(el, d) {
    var plot = draw(el, { x: [], series: d.series, kind: "line" });
    var xs = [], rate = [], lag = [], last = null;
    function poll() {
      fetch("/dashboard/pipeline.json", { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("pipeline.json: " + r.status); } // a lapsed key: keep the last figures
        return r.json();
      }).then(function (m) {
        var journaled = m.edge_journal_appended_records_total || 0;
        if (last) {
          xs.push(m.t);
          rate.push((journaled - last.j) / Math.max(0.001, m.t - last.t));
          lag.push(m.edge_sink_lag_events || 0);
          if (xs.length > 300) { xs.shift(); rate.shift(); lag.shift(); }
          plot.setData([xs, rate, lag]);
        }
        last = { j: journaled, t: m.t };
        Object.keys(m).forEach(function (k) {
          var f = document.querySelector('[data-metric="' + k + '"]');
          if (f) { f.textContent = String(m[k]); f.setAttribute("data-value", String(m[k])); }
        });
      }).catch(function () { /* next poll retries */ });
    }
    poll();
    setInterval(poll, 2000);
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var d = JSON.parse(document.getElementById("data-" + el.id).textContent);
    if (d.kind === "live") { live(el, d); } else { draw(el, d); }
  });
})();
