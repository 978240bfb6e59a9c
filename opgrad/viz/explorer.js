"use strict";
// Every user string (labels, formulas, plugin names) goes through textContent
// or setAttribute, never through innerHTML, so it is always shown as text.
const G = JSON.parse(document.getElementById("opgrad-data").textContent);
const SVG = "http://www.w3.org/2000/svg";
const num = (v) => (typeof v === "string" ? Number(v) : v);
const nodes = G.nodes.map((n) => {
  const op = n.op == null ? null : G.ops[n.op];
  return { ...n, data: num(n.data), grad: num(n.grad), op: op && op.name,
           symbol: op && op.symbol, formula: op && op.formula, plugin: op && op.plugin,
           estimate: n.estimate == null ? null : num(n.estimate), uses: 0,
           group: n.group == null ? null : n.group };
});
const steps = G.steps.map((s) => ({ at: s[0], into: s[1], slot: s[2], local: num(s[3]),
  upstream: num(s[4]), product: num(s[5]), total: num(s[6]) }));
const N = nodes.length, E = steps.length, A = N + E, rootIndex = N - 1;
const [BW, BH] = G.box;
const GAPX = G.grid.column - BW, GAPY = G.grid.row - BH, MARGIN = G.grid.margin;
const PAD = { left: 76, top: 30, right: 14, bottom: 12 };  // inside an open group's frame
steps.forEach((s) => { s.nth = ++nodes[s.into].uses; });
// The forward pass runs in this order (a group's nodes together); backward edges in theirs.
const forward = G.forward || nodes.map((_, i) => i);
const placeOf = new Array(N);
forward.forEach((i, k) => { placeOf[i] = k; });
let step = 0, selected = null;  // selected: { node: i } or { group: k }

// ---- groups: a neuron, a layer, a neuron's work on one sample ----
const groups = G.groups.map((g, k) => ({ ...g, k, nodes: [], children: [], members: 0,
  params: 0, outs: new Set() }));
nodes.forEach((n, i) => { if (n.group !== null) groups[n.group].nodes.push(i); });
groups.forEach((g) => { if (g.parent !== null) groups[g.parent].children.push(g.k); });
const chains = nodes.map((n) => {  // the groups around each node, innermost first
  const chain = [];
  for (let g = n.group; g !== null; g = groups[g].parent) chain.push(g);
  return chain;
});
nodes.forEach((n, i) => chains[i].forEach((g) => {
  groups[g].members++;
  if (!n.op) groups[g].params++;
}));
nodes.forEach((n, i) => n.parents.forEach((p) => {  // a group's outputs: used outside it
  chains[p].forEach((g) => { if (!chains[i].includes(g)) groups[g].outs.add(p); });
}));
chains[rootIndex].forEach((g) => groups[g].outs.add(rootIndex));
groups.forEach((g) => { g.outputs = [...g.outs].sort((a, b) => placeOf[a] - placeOf[b]); });

// A unit is what is drawn: node i (as i), or a closed group k (as N + k).
let vis = [], stops = [];
function visibleUnit(i) {
  const chain = chains[i];
  for (let t = chain.length - 1; t >= 0; t--) if (!groups[chain[t]].open) return N + chain[t];
  return i;
}
function unitOfStep(a) { return a <= N ? vis[forward[a - 1]] : vis[steps[a - N - 1].at]; }
function findStops() {  // one step covers a closed group's run of nodes or edges
  vis = nodes.map((_, i) => visibleUnit(i));
  stops = [0];
  for (let a = 1; a <= A; a++) {
    const u = unitOfStep(a);
    if (a === N || a === A || u < N || unitOfStep(a + 1) !== u) stops.push(a);
  }
}
function nextStop(s) { return stops.find((a) => a > s) ?? A; }
function previousStop(s) {
  for (let k = stops.length - 1; k >= 0; k--) if (stops[k] < s) return stops[k];
  return 0;
}

function fmt(x) {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  return String(Number(x.toPrecision(5)));
}
function el(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function svg(tag, attrs, parent, text) {
  const e = document.createElementNS(SVG, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function short(text, most) { return text.length > most ? text.slice(0, most - 1) + "\u2026" : text; }

// ---- placing: columns and rows come from Python; sizes depend on which groups are open ----
function unitsIn(k) {  // what a group (or the whole drawing, k = null) holds directly
  if (k !== null) return [...groups[k].nodes, ...groups[k].children.map((c) => N + c)];
  return [...nodes.keys()].filter((i) => nodes[i].group === null)
    .concat(groups.filter((g) => g.parent === null).map((g) => N + g.k));
}
function atOf(u) { return u < N ? nodes[u].at : groups[u - N].at; }
const size = new Map(), offset = new Map();  // unit -> [w, h]; unit -> [x, y] in its holder
function measure(k) {  // the size of what group k (null: the drawing) holds
  const columns = [];
  for (const u of unitsIn(k)) {
    if (u >= N && groups[u - N].open) {
      const [w, h] = measure(u - N);
      size.set(u, [PAD.left + w + PAD.right, PAD.top + h - GAPY + PAD.bottom]);
    } else size.set(u, [BW, BH]);
    const [c, r] = atOf(u);
    (columns[c] = columns[c] || []).push([r, u]);
  }
  const widths = [], heights = [];
  for (let c = 0; c < columns.length; c++) {
    const column = (columns[c] || []).sort((a, b) => a[0] - b[0]);
    widths[c] = Math.max(BW, ...column.map(([, u]) => size.get(u)[0]));
    heights[c] = column.reduce((h, [, u]) => h + size.get(u)[1] + GAPY, 0);
  }
  const height = Math.max(...heights);
  let x = 0;
  for (let c = 0; c < columns.length; c++) {  // short columns are centred
    let y = (height - heights[c]) / 2;
    for (const [, u] of columns[c] || []) {
      offset.set(u, [x, y]);
      y += size.get(u)[1] + GAPY;
    }
    x += widths[c] + GAPX;
  }
  return [x - GAPX, height];
}
const box = new Map();  // unit -> {x, y, w, h} on the drawing
function position(k, x0, y0) {
  for (const u of unitsIn(k)) {
    const [dx, dy] = offset.get(u), [w, h] = size.get(u);
    box.set(u, { x: x0 + dx, y: y0 + dy, w, h });
    if (u >= N && groups[u - N].open) position(u - N, x0 + dx + PAD.left, y0 + dy + PAD.top);
  }
}

// ---- drawing: a box per value, a pill per op, a box or a frame per group ----
const graphBox = document.getElementById("graph");
const view = svg("svg", { role: "img", "aria-label": "computation graph" }, graphBox);
let W = 0, H = 0, scale = 1, zoom = null;  // zoom: the reader's own scale, once chosen
function fit() {  // fit the graph to the window, never below a readable size
  scale = zoom ?? Math.max(0.6, Math.min(1.35, (graphBox.clientWidth - 8) / W));
  view.setAttribute("width", W * scale);
  view.setAttribute("height", H * scale);
}
window.addEventListener("resize", fit);
function zoomBy(factor) {  // keeps the middle of the view where it is
  const area = graphBox, before = scale;
  const mx = area.scrollLeft + area.clientWidth / 2, my = area.scrollTop + area.clientHeight / 2;
  zoom = Math.max(0.25, Math.min(2, scale * factor));
  fit();
  area.scrollLeft = mx * scale / before - area.clientWidth / 2;
  area.scrollTop = my * scale / before - area.clientHeight / 2;
}
const defs = svg("defs", {});
const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
  markerUnits: "userSpaceOnUse", markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8a96a3" }, marker);
let frameLayer, edgeLayer, nodeLayer, overlayLayer;
let edgeOf = {};  // "node:slot" -> the path from that input into the node's op pill
let drawnNodes = [], closedGroups = [];
function pillCentre(n) { return [n.x - G.pill, n.y + BH / 2]; }
function curve(x1, y1, x2, y2) {
  const m = (x1 + x2) / 2;
  return `M${x1},${y1} C${m},${y1} ${m},${y2} ${x2},${y2}`;
}
function rightOf(u) { const b = box.get(u); return [b.x + BW, b.y + BH / 2]; }

function build() {  // everything drawn, after a group opens or closes
  findStops();
  size.clear(); offset.clear(); box.clear();
  const [w, h] = measure(null);
  W = 2 * MARGIN + w; H = 2 * MARGIN + h;
  position(null, MARGIN, MARGIN);
  view.setAttribute("viewBox", `0 0 ${W} ${H}`);
  frameLayer = svg("g", {}); edgeLayer = svg("g", {});
  nodeLayer = svg("g", {}); overlayLayer = svg("g", {});
  view.replaceChildren(defs, frameLayer, edgeLayer, nodeLayer, overlayLayer);
  edgeOf = {}; drawnNodes = []; closedGroups = [];
  texts.clear(); flags.clear(); lit = [];
  drawUnits(null, nodeLayer);
  drawEdges();
  fit();
}
function drawUnits(k, parent) {
  for (const u of unitsIn(k)) {
    if (u < N) drawNode(u, parent);
    else if (groups[u - N].open) drawFrame(u - N, parent);
    else drawClosed(u - N, parent);
  }
}
function drawNode(i, parent) {
  const n = nodes[i], b = box.get(i);
  n.x = b.x; n.y = b.y;
  n.g = svg("g", { class: "node" + (n.op ? "" : " leaf"), id: "node-" + i, "data-index": i,
                   "data-node": n.name }, parent);
  if (n.op) {
    const [cx, cy] = pillCentre(n);
    n.rx = Math.max(16, 4 + 3.3 * Math.min(n.symbol.length, 8));
    n.pill = svg("ellipse", { class: "oppill", cx, cy, rx: n.rx, ry: 15 }, n.g);
    svg("text", { x: cx, y: cy + 4, "text-anchor": "middle" }, n.g, short(n.symbol, 8));
  }
  svg("rect", { class: "box", x: n.x, y: n.y, width: BW, height: BH, rx: 6 }, n.g);
  const name = shownName(i);
  svg("text", { class: "label", x: n.x + 8, y: n.y + 16 }, n.g, short(name, 18));
  if (name !== n.name) svg("title", {}, n.g, n.name);
  n.dataText = svg("text", { class: "value", x: n.x + 8, y: n.y + 32 }, n.g);
  n.gradText = svg("text", { class: "value grad", x: n.x + 8, y: n.y + 48 }, n.g);
  n.g.addEventListener("click", () => { selected = { node: i }; render(); });
  drawnNodes.push(i);
}
function shownName(i) {  // inside a module's group, a parameter's name within the module
  const name = nodes[i].name;
  for (const g of chains[i]) {
    const path = groups[g].path;
    if (!path.includes("/") && name.startsWith(path + ".")) return name.slice(path.length + 1);
  }
  return name;
}
function drawClosed(k, parent) {
  const g = groups[k], b = box.get(N + k);
  g.g = svg("g", { class: "group closed", id: "group-" + k, "data-group": g.path }, parent);
  svg("rect", { class: "box", x: b.x, y: b.y, width: BW, height: BH, rx: 6 }, g.g);
  svg("text", { class: "label", x: b.x + 8, y: b.y + 16 }, g.g, "+ " + short(g.title, 16));
  g.dataText = svg("text", { class: "value", x: b.x + 8, y: b.y + 32 }, g.g);
  g.gradText = svg("text", { class: "value grad", x: b.x + 8, y: b.y + 48 }, g.g);
  svg("title", {}, g.g, `${g.path}: ${g.members} nodes (click to open)`);
  g.g.addEventListener("click", () => toggle(k, true));
  closedGroups.push(k);
}
function drawFrame(k, parent) {
  const g = groups[k], b = box.get(N + k);
  svg("rect", { class: "frame", x: b.x, y: b.y, width: b.w, height: b.h, rx: 10 }, frameLayer);
  g.g = svg("g", { class: "group open", id: "group-" + k, "data-group": g.path }, parent);
  const title = svg("g", { class: "frametitle" }, g.g);
  svg("rect", { class: "titlebar", x: b.x, y: b.y, width: b.w, height: 24, rx: 10 }, title);
  svg("text", { class: "label", x: b.x + 10, y: b.y + 17 }, title,
      `\u2212 ${g.path} \u00b7 ${g.members} nodes`);
  title.addEventListener("click", () => toggle(k, false));
  drawUnits(k, g.g);
}

function drawEdges() {
  const bundled = new Set(), bundle = [];
  nodes.forEach((n, i) => {
    if (!n.op) return;
    const target = vis[i];
    n.parents.forEach((p, slot) => {
      const source = vis[p];
      if (source === target) return;
      const [x1, y1] = rightOf(source);
      if (target < N) {
        const [cx, cy] = pillCentre(n);
        edgeOf[i + ":" + slot] = svg("path", { class: "edge", "marker-end": "url(#arrow)",
          d: curve(x1, y1, cx - n.rx, cy) }, edgeLayer);
      } else if (!bundled.has(source + ">" + target)) {  // into a closed group: one line
        bundled.add(source + ">" + target);
        const b = box.get(target);
        bundle.push(curve(x1, y1, b.x, b.y + BH / 2));
      }
    });
    if (target === i) {
      const [cx, cy] = pillCentre(n);
      svg("path", { class: "edge", "marker-end": "url(#arrow)",
        d: `M${cx + n.rx},${cy} L${n.x},${cy}` }, edgeLayer);
    }
  });
  if (bundle.length) svg("path", { class: "edge bundle", d: bundle.join(" ") }, edgeLayer);
}

function toggle(k, open) {
  groups[k].open = open;
  selected = { group: k };
  build();
  render();
  reveal(N + k);
}
