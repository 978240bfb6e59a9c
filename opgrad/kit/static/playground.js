// The playground page: an editor with examples, Run, the output, and pictures.
import { run, ready } from "./opgrad.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#3b6fd8", "#d8483b", "#2a9d5b", "#8a5bd8"];  // lines, and each class's points
const PALE = ["#c4d3f3", "#f3c8c4", "#bfe2cd", "#dccdf3"];  // each class's region

function element(tag, attributes = {}, parent = null, namespace = null) {
  const node = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (parent) parent.appendChild(node);
  return node;
}

// ---- charts: lines over x, drawn as SVG
function scale(values, from, to) {  // the smallest value to `from`, the largest to `to`
  const finite = values.filter(Number.isFinite);
  const min = Math.min(...finite), max = Math.max(...finite);
  const span = max - min || 1;
  return (v) => from + ((v - min) / span) * (to - from);
}

function lineChart(xs, series, { width = 460, height = 260 } = {}) {
  const svg = element("svg", { class: "chart", width: width + 10, height, viewBox: `-10 0 ${width + 10} ${height}` }, null, SVG);
  const x = scale(xs, 40, width - 10);
  const y = scale(series.flatMap((s) => s.values), height - 25, 10);
  element("rect", { x: 40, y: 10, width: width - 50, height: height - 35, fill: "none", stroke: "#ccc" }, svg, SVG);
  series.forEach(({ name, values, dots }, i) => {
    const points = values.map((v, k) => [x(xs[k]), y(v)]).filter(([, py]) => Number.isFinite(py));
    if (dots) {
      points.forEach(([px, py]) => element("circle", { cx: px, cy: py, r: 2.5, fill: COLORS[i] }, svg, SVG));
    } else {
      const d = points.map(([px, py], k) => `${k ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join("");
      element("path", { d, fill: "none", stroke: COLORS[i], "stroke-width": 2 }, svg, SVG);
    }
    element("text", { x: 50, y: 24 + 14 * i, fill: COLORS[i] }, svg, SVG).textContent = name;
  });
  const label = (text, px, py, anchor) => {
    element("text", { x: px, y: py, "text-anchor": anchor, fill: "#444" }, svg, SVG).textContent = text;
  };
  const values = series.flatMap((s) => s.values).filter(Number.isFinite);
  label(String(+xs[0].toPrecision(3)), 40, height - 8, "start");
  label(String(+xs[xs.length - 1].toPrecision(3)), width - 10, height - 8, "end");
  label(String(+Math.max(...values).toPrecision(3)), 36, 20, "end");
  label(String(+Math.min(...values).toPrecision(3)), 36, height - 25, "end");
  return svg;
}

// ---- what a run shows
function showPlot({ title, xs, ys, slopes, numeric }) {
  const figure = element("figure", { class: "plot" }, $("display"));
  element("figcaption", {}, figure).textContent = `${title} and its derivative`;
  const every = (values) => values.map((v, k) => (k % 8 ? NaN : v));
  figure.appendChild(lineChart(xs, [
    { name: title, values: ys },
    { name: "derivative (backward)", values: slopes },
    { name: "finite differences", values: every(numeric), dots: true },
  ]));
}

function drawBoundary(canvas, { grid, points, labels }) {
  const context = canvas.getContext("2d");
  const { xs, ys, regions } = grid;
  const [w, h] = [canvas.width, canvas.height];
  const px = (v) => ((v - xs[0]) / (xs[xs.length - 1] - xs[0])) * w;
  const py = (v) => h - ((v - ys[0]) / (ys[ys.length - 1] - ys[0])) * h;
  const cw = w / (xs.length - 1), ch = h / (ys.length - 1);
  context.clearRect(0, 0, w, h);
  regions.forEach((row, j) => row.forEach((k, i) => {
    context.fillStyle = PALE[k];  // opaque: overlapping cells leave no seams
    context.fillRect(px(xs[i]) - cw / 2, py(ys[j]) - ch / 2, cw + 1, ch + 1);
  }));
  points.forEach(([a, b], i) => {
    context.beginPath();
    context.arc(px(a), py(b), 4, 0, 2 * Math.PI);
    context.fillStyle = COLORS[labels[i]];
    context.fill();
    context.strokeStyle = "#000";
    context.stroke();
  });
}

function showTraining(frame, run) {
  let figure = run.training;
  if (!figure) {
    figure = run.training = element("figure", { class: "training", "data-frames": 0 }, $("display"));
    element("figcaption", {}, figure);
    const panes = element("div", { class: "panes" }, figure);
    element("div", { class: "loss" }, panes);
    element("canvas", { class: "boundary", width: 320, height: 260 }, panes);
    figure.dataset.firstFrameMs = String(Math.round(performance.now()));
  }
  const { step, steps, loss, accuracy, losses, title } = frame;
  figure.querySelector("figcaption").textContent =
    `${title}: step ${step}/${steps}, loss ${loss.toFixed(4)}, accuracy ${Math.round(accuracy * 100)}%`;
  const chart = lineChart(losses.map((_, k) => k + 1), [{ name: "loss", values: losses }], { width: 380 });
  figure.querySelector(".loss").replaceChildren(chart);
  drawBoundary(figure.querySelector("canvas"), frame);
  figure.dataset.frames = String(Number(figure.dataset.frames) + 1);
  Object.assign(figure.dataset, { step, accuracy });
}

function showHtml(html) {
  const box = element("div", { class: "html-result" }, $("display"));
  box.innerHTML = html;  // opgrad's own rendering (explorer frame, graph, table): escaped there
}

function shower(runState) {
  return (kind, data) => {
    if (kind === "text") $("output").append(data);
    else if (kind === "html") showHtml(data);
    else if (kind === "plot") showPlot(data);
    else if (kind === "training") showTraining(data, runState);
  };
}

// ---- the editor
async function runEditor() {
  $("run").disabled = true;
  $("status").textContent = "Running\u2026";
  $("output").textContent = "";
  $("display").replaceChildren();
  const state = {}, started = performance.now();
  try {
    await run($("code").value, { onShow: shower(state) });
    $("status").textContent = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  } catch (error) {
    element("span", { class: "error" }, $("output")).textContent = error.message;
    $("status").textContent = "Failed: the error is shown below the output";
  } finally {
    $("run").disabled = false;
    document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
  }
}

function editorKeys(event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey || event.shiftKey)) {
    event.preventDefault();
    if (!$("run").disabled) runEditor();
  } else if (event.key === "Tab") {
    event.preventDefault();
    event.target.setRangeText("    ", event.target.selectionStart, event.target.selectionEnd, "end");
  }
}

async function loadKit() {
  const kit = await (await fetch("kit.json")).json();
  $("lite").hidden = !kit.lite;
}

async function loadExamples() {
  const examples = await (await fetch("examples.json")).json();
  examples.forEach(({ title }, i) => { element("option", { value: i }, $("examples")).textContent = title; });
  const pick = () => { $("code").value = examples[$("examples").value].code; };
  $("examples").addEventListener("change", pick);
  pick();
}

$("run").addEventListener("click", runEditor);
$("code").addEventListener("keydown", editorKeys);
loadKit();
loadExamples();
ready.then(
  (seconds) => { $("status").textContent = `Python is ready (started in ${seconds.toFixed(1)} s)`; $("run").disabled = false; },
  (error) => { $("status").textContent = `Python did not start: ${error.message}`; },
);
