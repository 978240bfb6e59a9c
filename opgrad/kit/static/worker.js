// The page's Python: Pyodide with opgrad preloaded from ./pyodide/ (its lock file
// lists only the wheels there), running opgrad.kit.playground.Session.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const started = performance.now();
let current = null;  // the id of the run in progress: pictures are sent under it

async function start() {
  const pyodide = await loadPyodide({
    indexURL: new URL("./pyodide/", import.meta.url).href,
    packages: ["opgrad"],
    stdout: () => {}, stderr: () => {},  // a session captures its own output
  });
  const playground = pyodide.pyimport("opgrad.kit.playground");
  const show = (kind, payload) => self.postMessage({ id: current, kind, payload });
  self.postMessage({ kind: "ready", seconds: (performance.now() - started) / 1000 });
  return playground.Session(show);
}

const session = start().catch((error) => {
  self.postMessage({ kind: "failed", error: String(error) });
  throw error;
});

self.onmessage = async ({ data }) => {
  let output = "", error = null;
  try {
    const python = await session;
    current = data.id;
    const result = python.run(data.code);
    [output, error] = result.toJs();
    result.destroy();
  } catch (failure) {
    error = String(failure);
  }
  current = null;
  self.postMessage({ id: data.id, kind: "done", output, error: error ?? null });
};
