// Small SVG charts for the staff insights page, drawn from a JSON block the server renders
// (<script type="application/json" id="insight-charts">). No library, no network; labels go into
// the SVG through textContent.
//
// Chart specs: {id, kind: "bar" | "hbar" | "line", unit, series: [{name, points: [{label, value}], dashed}]}
// (a line's value may be null: a gap in that line)
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#5b3df5", "#ff6b4a", "#0e9f6e", "#ffb020", "#8b5cf6", "#0ea5e9", "#ec4899", "#64748b"];

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, attrs[key]);
    });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function format(value, unit) {
    var n = Number(value) || 0;
    if (unit === "usd") return n === 0 ? "$0" : "$" + (n < 0.1 ? n.toFixed(3) : n.toFixed(2));
    if (unit === "%") return (Math.round(n * 10) / 10).toLocaleString("ko-KR") + "%";
    if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("ko-KR");
    return String(Math.round(n * 10) / 10);
  }

  // The smallest round axis maximum at or above value, split into four round ticks.
  function niceMax(value) {
    if (value <= 0) return 4;
    if (value <= 4 && Math.round(value) === value) return 4; // small counts: whole-number ticks 0-4
    var raw = value / 4;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= raw - 1e-12) return steps[i] * power * 4;
    return 40 * power;
  }

  function frame(container, width, height, title) {
    var svg = svgEl("svg", {
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-label": title,
      preserveAspectRatio: "xMidYMid meet",
    });
    svg.appendChild(svgEl("title", {}, title));
    container.textContent = "";
    container.appendChild(svg);
    return svg;
  }

  // Horizontal bars: long Korean labels (regions, genres) stay readable on a phone.
  function hbar(container, spec) {
    var points = (spec.series[0] || { points: [] }).points;
    var rowH = 26;
    // Room for the longest label: Hangul is about twice as wide as Latin at this size.
    var longest = points.reduce(function (max, p) {
      var w = 0;
      for (var i = 0; i < String(p.label).length; i++) w += String(p.label).charCodeAt(i) > 0x2e80 ? 11.5 : 6.5;
      return Math.max(max, w);
    }, 0);
    var labelW = Math.min(150, Math.max(48, longest + 14));
    var width = 360;
    var height = Math.max(rowH * points.length + 8, 60);
    var svg = frame(container, width, height, spec.title);
    var max = niceMax(Math.max.apply(null, points.map(function (p) { return p.value; }).concat([0])));
    var barW = width - labelW - 56;
    points.forEach(function (point, i) {
      var y = 4 + i * rowH;
      svg.appendChild(svgEl("text", { x: labelW - 8, y: y + 16, "text-anchor": "end" }, point.label));
      var w = Math.max((point.value / max) * barW, point.value > 0 ? 2 : 0);
      var bar = svgEl("rect", { x: labelW, y: y + 4, width: w, height: rowH - 10, rx: 4, fill: COLORS[i % COLORS.length] });
      bar.setAttribute("class", "chart__bar");
      bar.appendChild(svgEl("title", {}, point.label + ": " + format(point.value, spec.unit)));
      svg.appendChild(bar);
      var value = svgEl("text", { x: labelW + w + 6, y: y + 16 }, format(point.value, spec.unit));
      value.setAttribute("class", "chart__value");
      svg.appendChild(value);
    });
    if (!points.length) svg.appendChild(svgEl("text", { x: width / 2, y: 34, "text-anchor": "middle" }, "데이터 없음"));
  }

  function axes(svg, box, max, unit) {
    for (var i = 0; i <= 4; i++) {
      var y = box.y + box.h - (box.h * i) / 4;
      svg.appendChild(svgEl("line", { x1: box.x, x2: box.x + box.w, y1: y, y2: y, class: "chart__grid" }));
      svg.appendChild(svgEl("text", { x: box.x - 6, y: y + 4, "text-anchor": "end" }, format((max * i) / 4, unit)));
    }
  }

  function xLabels(svg, box, labels, step) {
    var every = Math.max(1, Math.ceil(labels.length / 6));
    labels.forEach(function (label, i) {
      if (i % every !== 0) return;
      svg.appendChild(svgEl("text", { x: box.x + step(i), y: box.y + box.h + 16, "text-anchor": "middle" }, label));
    });
  }

  function unionLabels(series) {
    var seen = {};
    var labels = [];
    series.forEach(function (s) {
      s.points.forEach(function (p) {
        if (!seen[p.label]) {
          seen[p.label] = true;
          labels.push(p.label);
        }
      });
    });
    return labels;
  }

  function bar(container, spec) {
    var width = 360;
    var height = 200;
    var box = { x: 44, y: 10, w: width - 54, h: height - 40 };
    var svg = frame(container, width, height, spec.title);
    var labels = unionLabels(spec.series);
    var values = [];
    spec.series.forEach(function (s) {
      s.points.forEach(function (p) { values.push(p.value); });
    });
    var max = niceMax(Math.max.apply(null, values.concat([0])));
    axes(svg, box, max, spec.unit);
    var slot = box.w / Math.max(labels.length, 1);
    var groupW = slot * 0.7;
    var barW = groupW / Math.max(spec.series.length, 1);
    spec.series.forEach(function (s, si) {
      var byLabel = {};
      s.points.forEach(function (p) { byLabel[p.label] = p.value; });
      labels.forEach(function (label, i) {
        var value = byLabel[label] || 0;
        var h = (value / max) * box.h;
        var rect = svgEl("rect", {
          x: box.x + i * slot + (slot - groupW) / 2 + si * barW,
          y: box.y + box.h - h,
          width: Math.max(barW - 1, 1),
          height: h,
          rx: 2,
          fill: s.color || COLORS[si % COLORS.length],
        });
        rect.setAttribute("class", "chart__bar");
        rect.appendChild(svgEl("title", {}, s.name + " " + label + ": " + format(value, spec.unit)));
        svg.appendChild(rect);
      });
    });
    xLabels(svg, box, labels, function (i) { return i * slot + slot / 2; });
    legend(container, spec.series);
  }

  function line(container, spec) {
    var width = 360;
    var height = 200;
    var box = { x: 44, y: 10, w: width - 58, h: height - 40 };
    var svg = frame(container, width, height, spec.title);
    var labels = unionLabels(spec.series);
    var values = [];
    spec.series.forEach(function (s) {
      s.points.forEach(function (p) { if (p.value !== null) values.push(p.value); });
    });
    var max = niceMax(Math.max.apply(null, values.concat([0])));
    axes(svg, box, max, spec.unit);
    var index = {};
    labels.forEach(function (label, i) { index[label] = i; });
    var step = function (i) { return labels.length > 1 ? (box.w * i) / (labels.length - 1) : box.w / 2; };
    spec.series.forEach(function (s, si) {
      var color = s.color || COLORS[si % COLORS.length];
      // A null value (nothing to show that day) is a gap: the line lifts and starts again after it.
      var pen = "M";
      var d = s.points
        .map(function (p) {
          if (p.value === null) {
            pen = "M";
            return "";
          }
          var x = box.x + step(index[p.label]);
          var y = box.y + box.h - (p.value / max) * box.h;
          var part = pen + x.toFixed(1) + " " + y.toFixed(1);
          pen = "L";
          return part;
        })
        .filter(Boolean)
        .join(" ");
      var path = svgEl("path", { d: d, fill: "none", stroke: color, "stroke-width": 2.5, "stroke-linejoin": "round" });
      if (s.dashed) path.setAttribute("stroke-dasharray", "6 4");
      path.setAttribute("class", "chart__line");
      svg.appendChild(path);
      var dense = s.points.length > 16;
      s.points.forEach(function (p, i) {
        if (p.value === null) return;
        // A point between gaps has no line through it: its dot stays visible even on a dense chart.
        var before = s.points[i - 1];
        var after = s.points[i + 1];
        var alone = (!before || before.value === null) && (!after || after.value === null);
        var dot = svgEl("circle", {
          cx: box.x + step(index[p.label]),
          cy: box.y + box.h - (p.value / max) * box.h,
          r: dense && !alone ? 0 : 3,
          fill: s.dashed ? "#fff" : color,
          stroke: color,
          "stroke-width": 1.5,
        });
        dot.appendChild(svgEl("title", {}, s.name + " " + p.label + ": " + format(p.value, spec.unit)));
        svg.appendChild(dot);
      });
    });
    xLabels(svg, box, labels, step);
    legend(container, spec.series);
  }

  function legend(container, series) {
    if (series.length < 2) return;
    var list = document.createElement("ul");
    list.className = "chart__legend";
    series.forEach(function (s, i) {
      var item = document.createElement("li");
      var swatch = document.createElement("i");
      var color = s.color || COLORS[i % COLORS.length];
      if (s.dashed) swatch.style.border = "2px dashed " + color;
      else swatch.style.background = color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name));
      list.appendChild(item);
    });
    container.appendChild(list);
  }

  var KINDS = { hbar: hbar, bar: bar, line: line };

  function draw() {
    var node = document.getElementById("insight-charts");
    if (!node) return;
    var specs = JSON.parse(node.textContent);
    specs.forEach(function (spec) {
      var container = document.getElementById("chart-" + spec.id);
      var render = KINDS[spec.kind];
      if (!container || !render) return;
      render(container, spec);
      container.setAttribute("data-rendered", "true");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
