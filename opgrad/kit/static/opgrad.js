// window.opgrad: Python (Pyodide, in a worker) with opgrad installed, served from this folder.
//
//   const printed = await window.opgrad.run("print(1 + 1)");   // "2\n"
//
// run(code, {onShow}) resolves to what the code printed (an interactive prompt's
// output: each top-level expression's value is printed too) and rejects with an
// Error whose message is the Python traceback (error.output: what was printed
// before it). onShow(kind, data) receives the pictures the code makes while it
// runs ("text", "html", "plot", "training"). Runs happen one at a time, in order,
// in one interpreter that keeps its names from run to run.

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const waiting = new Map();  // run id -> {resolve, reject, onShow}
let nextId = 0;
let started;
const ready = new Promise((resolve, reject) => { started = { resolve, reject }; });

worker.onmessage = ({ data }) => {
  if (data.kind === "ready") return started.resolve(data.seconds);
  if (data.kind === "failed") return started.reject(new Error(data.error));
  const run = waiting.get(data.id);
  if (!run) return;
  if (data.kind !== "done") return run.onShow(data.kind, JSON.parse(data.payload));
  waiting.delete(data.id);
  if (data.error === null) return run.resolve(data.output);
  const error = new Error(data.error);
  error.output = data.output;
  run.reject(error);
};

function run(code, { onShow = () => {} } = {}) {
  if (typeof code !== "string") return Promise.reject(new TypeError("opgrad.run needs a string of Python code"));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject, onShow });
    worker.postMessage({ id, code });
  });
}

window.opgrad = Object.freeze({ run, ready });
export { run, ready };
