// The explorer, part two (explorer.js draws): what each step shows, and the keys.
// ---- the leaf table (built when first shown: a network has hundreds of leaves) ----
const LEAF_ROWS = 40;  // up to this many leaves the table is shown at once
const leafBox = document.getElementById("leafbox");
const leafIndices = [...nodes.keys()].filter((i) => !nodes[i].op && !nodes[i].constant);
let leafRows = null;
document.getElementById("leafcount").textContent = `(${leafIndices.length})`;
function buildLeafRows() {
  const body = document.querySelector("#leaves tbody");
  leafRows = leafIndices.map((i) => {
    const n = nodes[i];
    const tr = el("tr", { "data-index": i, "data-leaf": n.name }, body);
    el("td", {}, tr, n.name);
    const grad = el("td", { class: "leafgrad" }, tr);
    el("td", {}, tr, n.estimate == null ? "n/a" : fmt(n.estimate));
    return { n, grad, i, tr };
  });
}
function showLeafRows() { if (leafRows === null) { buildLeafRows(); render(); } }
// A click builds the rows at once (the toggle event comes later); a toggle made
// some other way builds them then.
leafBox.querySelector("summary").addEventListener("click", showLeafRows);
leafBox.addEventListener("toggle", () => { if (leafBox.open) showLeafRows(); });
if (leafIndices.length <= LEAF_ROWS) {  // shown whole, as a plain table
  leafBox.open = true;
  leafBox.classList.add("fixed");
  buildLeafRows();
}

// ---- the state after `step` steps: forward values shown, grads accumulated so far ----
function state(s) {
  const shown = Math.min(s, N);
  const grads = new Array(N).fill(0);
  const backward = s > N || (s === N && E === 0);
  if (backward) grads[rootIndex] = 1;
  for (let j = 0; j < Math.max(0, s - N); j++) grads[steps[j].into] = steps[j].total;
  return { shown, backward, grads, edge: s > N ? steps[s - N - 1] : null };
}
const known = (i, st) => placeOf[i] < st.shown;

// Only what changed is written to the page: a step touches a few nodes, so a
// step costs little even on a graph of thousands of nodes.
const texts = new Map(), flags = new Map();  // element -> what it shows now
function put(element, text) {
  if (texts.get(element) !== text) { element.textContent = text; texts.set(element, text); }
}
function mark(element, name, on) {
  if (!flags.has(element)) flags.set(element, new Map());
  const now = flags.get(element);
  if (now.get(name) === on) return;
  element.classList.toggle(name, on);
  now.set(name, on);
}
let lit = [];  // the elements highlighted for the current step

function latestOutput(g, st) {  // the group's last output computed so far, or null
  let found = null;
  for (const o of g.outputs) if (known(o, st)) found = o;
  return found;
}
function elementOf(u) { return u < N ? nodes[u].g : groups[u - N].g; }
function gradTextOf(u) { return u < N ? nodes[u].gradText : groups[u - N].gradText; }

function render() {
  const st = state(step);
  for (const [element, name] of lit) element.classList.remove(name);
  lit = [];
  overlayLayer.replaceChildren();
  const light = (element, name) => { element.classList.add(name); lit.push([element, name]); };
  for (const i of drawnNodes) {
    const n = nodes[i], seen = known(i, st);
    mark(n.g, "pending", !seen);
    mark(n.g, "selected", selected !== null && selected.node === i);
    put(n.dataText, "data " + (seen ? fmt(n.data) : "\u00b7"));
    put(n.gradText, n.constant ? "constant" : "grad " + (st.backward ? fmt(st.grads[i]) : "\u00b7"));
    const exact = st.backward ? String(st.grads[i]) : "";
    if (n.g.getAttribute("data-grad") !== exact) n.g.setAttribute("data-grad", exact);
  }
  for (const k of closedGroups) {
    const g = groups[k], o = latestOutput(g, st);
    mark(g.g, "pending", o === null);
    mark(g.g, "selected", selected !== null && selected.group === k);
    put(g.dataText, "data " + (o === null ? "\u00b7" : fmt(nodes[o].data)));
    put(g.gradText, "grad " + (st.backward && o !== null ? fmt(st.grads[o]) : "\u00b7"));
  }
  highlight(st, light);
  if (leafRows) leafRows.forEach(({ n, grad, i, tr }) => {
    put(grad, st.backward ? fmt(st.grads[i]) : "\u00b7");
    const exact = st.backward ? String(st.grads[i]) : "";
    if (tr.getAttribute("data-grad") !== exact) tr.setAttribute("data-grad", exact);
    mark(grad, "agree", step === A && n.estimate != null &&
         Math.abs(st.grads[i] - n.estimate) <= 1e-4 * (1 + Math.abs(n.estimate)));
  });
  describeStep(st);
  describeSelected(st);
  document.getElementById("where").replaceChildren(...where());
}

function run() {  // the atomic steps the current step took: (from, step]
  return { from: previousStop(step), to: step };
}
function highlight(st, light) {
  if (step === 0) return;
  const { from, to } = run();
  if (to > N) {  // backward: the unit sending gradients, and where they go
    const edges = steps.slice(Math.max(from, N) - N, to - N);
    const source = vis[edges[0].at];
    light(elementOf(source), "source");
    const seen = new Set();
    for (const s of edges) {
      const target = vis[s.into];
      if (target === source) continue;
      const path = edgeOf[s.at + ":" + s.slot];
      if (path) light(path, "active");
      else if (!seen.has(target)) {  // a bundled line: drawn on top, for this step only
        const [x1, y1] = rightOf(target), b = box.get(source);
        svg("path", { class: "edge active", d: curve(x1, y1, b.x, b.y + BH / 2) }, overlayLayer);
      }
      if (!seen.has(target)) { light(elementOf(target), "target"); light(gradTextOf(target), "fresh"); }
      seen.add(target);
    }
    reveal(vis[edges[edges.length - 1].into]);
  } else {
    const u = vis[forward[to - 1]];
    light(elementOf(u), "computing");
    reveal(u);
  }
}

function where() {
  const b = (t) => el("b", {}, null, t);
  const parts = [];
  if (groups.length) {
    parts.push(document.createTextNode("step "),
               b(`${stops.filter((a) => a <= step).length - 1} / ${stops.length - 1}`),
               document.createTextNode(" \u00b7 "));
  }
  if (step === 0) return [...parts, document.createTextNode("start")];
  if (step <= N) return [...parts, document.createTextNode("forward "), b(`${step} / ${N}`)];
  return [...parts, document.createTextNode("backward edge "), b(`${step - N} / ${E}`)];
}

function reveal(u) {  // scroll the graph so that the unit in play is in view
  const spot = box.get(u);
  if (!spot) return;
  const area = graphBox, x = spot.x * scale, y = spot.y * scale;
  if (x - 100 < area.scrollLeft || x + BW * scale + 20 > area.scrollLeft + area.clientWidth)
    area.scrollLeft = Math.max(0, x - area.clientWidth / 3);
  if (y - 40 < area.scrollTop || y + BH * scale + 20 > area.scrollTop + area.clientHeight)
    area.scrollTop = Math.max(0, y - area.clientHeight / 3);
}

function line(card, name, value, cls) {
  const row = el("div", { class: "row" }, card);
  el("span", {}, row, name);
  el("span", { class: cls || "mono" }, row, value);
}

function call(n) { return `${n.op}(${n.parents.map((p) => nodes[p].name).join(", ")})`; }
function listed(items, most) {
  return items.slice(0, most).join(", ") + (items.length > most ? `, \u2026 (${items.length})` : "");
}

function describeStep(st) {
  const card = document.getElementById("step");
  card.replaceChildren();
  const root = nodes[rootIndex].name;
  if (step === 0) {
    el("p", {}, card, `Press \u2192 (or "step") to compute the graph ` +
       (groups.length ? "group by group (open a group to step inside it)" : "node by node") +
       `, then to send gradients back from ${root}, one edge at a time.`);
    return;
  }
  const { from, to } = run();
  if (to <= N ? vis[forward[to - 1]] >= N : vis[steps[to - N - 1].at] >= N) {
    describeGroupStep(card, from, to);
  } else if (!st.edge) {
    const n = nodes[forward[step - 1]];
    el("p", { class: "title" }, card, `forward: ${n.name}`);
    if (!n.op) line(card, "input", `${n.name} = ${fmt(n.data)}`);
    else {
      line(card, "computes", `${n.name} = ${call(n)}`);
      line(card, "with", n.parents.map((p) => `${nodes[p].name} = ${fmt(nodes[p].data)}`).join(", "));
      line(card, "gives", `${n.name} = ${fmt(n.data)}`);
    }
  } else describeEdge(card, st.edge, root);
  if (step === N) el("p", {}, card, `Forward done. Next: backward from ${root}, ` +
                     `starting with d${root}/d${root} = 1.`);
  if (step === A) el("p", { class: "title" }, card, "Backward done: these are the " +
                     "gradients backward() gives.");
}

function describeEdge(card, s, root) {
  const n = nodes[s.at], into = nodes[s.into];
  el("p", { class: "title" }, card, `backward: ${n.name} \u2192 ${into.name}`);
  line(card, "node", `${n.name} = ${call(n)}`);
  line(card, "rule", n.formula, "formula");
  line(card, "at", n.parents.map((p) => `${nodes[p].name} = ${fmt(nodes[p].data)}`)
    .join(", ") + `; out ${n.name} = ${fmt(n.data)}`);
  line(card, "local", `d${n.name}/d${into.name} = ${fmt(s.local)}  (input ${s.slot + 1} of ` +
       `${n.parents.length})`);
  line(card, "upstream", `d${root}/d${n.name} = ${fmt(s.upstream)}`);
  line(card, "product", `${fmt(s.local)} \u00d7 ${fmt(s.upstream)} = ${fmt(s.product)}`);
  line(card, "+=", `${into.name}.grad += ${fmt(s.product)}:  ${fmt(s.total - s.product)} ` +
       `\u2192 ${fmt(s.total)}`, "mono accumulate");
  if (into.uses > 1)
    el("p", {}, card, `${into.name} is used ${into.uses} times: this is contribution ` +
       `${s.nth} of ${into.uses}, added to what came before.`);
}

function describeGroupStep(card, from, to) {
  if (to <= N) {
    const computed = forward.slice(from, to), g = groups[vis[computed[0]] - N];
    el("p", { class: "title" }, card, `forward: ${g.path}`);
    line(card, "computes", `${computed.length} of its ${g.members} nodes` + sampleOf(computed));
    const outs = computed.filter((i) => g.outs.has(i));
    if (outs.length) line(card, "gives", listed(outs.map((i) => `${nodes[i].name} = ` +
                                                     fmt(nodes[i].data)), 3));
    return;
  }
  const edges = steps.slice(Math.max(from, N) - N, to - N), u = vis[edges[0].at];
  const g = groups[u - N], last = new Map();
  edges.forEach((s) => last.set(s.into, s.total));
  el("p", { class: "title" }, card, `backward: through ${g.path}`);
  line(card, "edges", `${edges.length}: each local \u00d7 upstream, added to an input's grad`);
  const outside = [...last.keys()].filter((i) => vis[i] !== u);
  const within = (i) => (vis[i] >= N ? ` (in ${groups[vis[i] - N].path})` : "");
  if (outside.length) line(card, "into", listed(outside.map((i) => `${nodes[i].name}.grad = ` +
                                                fmt(last.get(i)) + within(i)), 3), "mono accumulate");
  const params = [...last.keys()].filter((i) => vis[i] === u && !nodes[i].op);
  if (params.length) line(card, "leaves", listed(params.map((i) => `${nodes[i].name}.grad = ` +
                                                          fmt(last.get(i))), 2));
}
function sampleOf(indices) {  // ", sample 2" when these nodes all work on one sample
  const paths = new Set(indices.map((i) => {
    const g = nodes[i].group;
    return g !== null && groups[g].path.includes("/") ? groups[g].path.split("/")[0] : "";
  }));
  return paths.size === 1 && !paths.has("") ? ` (${[...paths][0]})` : "";
}

function describeSelected(st) {
  const card = document.getElementById("details");
  if (selected === null) return;
  card.replaceChildren();
  if (selected.group !== undefined) { describeGroup(card, groups[selected.group], st); return; }
  const n = nodes[selected.node];
  el("p", { class: "title" }, card, n.name);
  if (n.label && n.label !== n.name) line(card, "label", n.label);
  line(card, "op", n.op ? call(n) : n.constant ? "constant (a number: no gradient)" :
       "leaf (an input)");
  if (n.op) line(card, "rule", n.formula, "formula");
  if (n.op) line(card, "plugin", n.plugin);
  line(card, "data", fmt(n.data));
  if (n.constant) return;
  line(card, "grad", st.backward ? fmt(st.grads[selected.node]) : "not yet (step into backward)");
  line(card, "final grad", fmt(n.grad));
  if (!n.op) line(card, "finite diff.", n.estimate == null ? "n/a" : fmt(n.estimate));
}
function describeGroup(card, g, st) {
  el("p", { class: "title" }, card, g.path);
  line(card, "holds", `${g.members} nodes, ${g.params} of them leaves`);
  line(card, "outputs", listed(g.outputs.map((o) => `${nodes[o].name} = ` +
    (known(o, st) ? fmt(nodes[o].data) : "\u00b7") +
    (st.backward ? ` (grad ${fmt(st.grads[o])})` : "")), 4));
  el("p", {}, card, g.open ? "Click its title to close it." : "Click it to open it.");
}

function go(s) { step = Math.max(0, Math.min(A, s)); render(); }
document.getElementById("first").addEventListener("click", () => go(0));
document.getElementById("back").addEventListener("click", () => go(previousStop(step)));
document.getElementById("next").addEventListener("click", () => go(nextStop(step)));
document.getElementById("last").addEventListener("click", () => go(A));
document.getElementById("zoomin").addEventListener("click", () => zoomBy(1.25));
document.getElementById("zoomout").addEventListener("click", () => zoomBy(0.8));
document.addEventListener("keydown", (event) => {
  if (groups.length && (event.key === "+" || event.key === "-")) {
    zoomBy(event.key === "+" ? 1.25 : 0.8);
    return;
  }
  const moves = { ArrowRight: nextStop, ArrowDown: nextStop, ArrowLeft: previousStop,
                  ArrowUp: previousStop, Home: () => 0, End: () => A };
  if (event.key in moves) { event.preventDefault(); go(moves[event.key](step)); }
});
if (groups.length) {  // a network: groups to open, and a drawing to zoom
  document.querySelector(".hint").textContent =
    "\u2192 / \u2190 step \u00b7 + / \u2212 zoom \u00b7 click a group to open it, its title " +
    "to close it";
  document.getElementById("zoom").hidden = false;
  document.getElementById("selectedhead").textContent = "Selected node or group";
}
build();
render();
// "opgrad-ready": the first frame with the graph has been painted (tests read this timing).
requestAnimationFrame(() => setTimeout(() => performance.mark("opgrad-ready")));
