// Runs a compiled k6 script under the emulation (see README.md): init, setup(), one iteration per
// VU of its constant-vus scenario, then waits for every socket and timer to finish and writes
// { options, setup, metrics, errors } to the output file.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import exec from './shims/execution.mjs';
import { errors, metrics, sockets, systemTags } from './shims/state.mjs';
import { pendingTimers } from './shims/timers.mjs';

const [scriptPath, outputPath] = process.argv.slice(2);
if (!scriptPath || !outputPath) {
  process.stderr.write('usage: node --import register.mjs run-script.mjs <compiled script> <output.json>\n');
  process.exit(2);
}

globalThis.__ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('WSMIG_')));
globalThis.__VU = 0;
globalThis.open = (file) => readFileSync(file, 'utf8');

const script = await import(pathToFileURL(scriptPath).href);
const options = script.options;
const [scenarioName, scenario] = Object.entries(options.scenarios)[0];
if (scenario.executor !== 'constant-vus') throw new Error(`emulator: only constant-vus is emulated, not ${scenario.executor}`);
const durationMs = Number(/^(\d+)ms$/.exec(scenario.duration)?.[1]);
if (!Number.isFinite(durationMs)) throw new Error(`emulator: cannot read duration ${scenario.duration}`);
const iteration = script[scenario.exec];
if (typeof iteration !== 'function') throw new Error(`emulator: the script does not export ${scenario.exec}()`);

systemTags.scenario = scenarioName;
const setupData = typeof script.setup === 'function' ? script.setup() : undefined;
exec.scenario.name = scenarioName;
exec.scenario.startTime = Date.now();
for (let vu = 1; vu <= scenario.vus; vu++) {
  globalThis.__VU = vu;
  exec.vu.idInTest = vu;
  exec.vu.idInInstance = vu;
  exec.vu.iterationInScenario = 0;
  exec.scenario.iterationInTest = vu - 1;
  try {
    iteration(setupData);
  } catch (error) {
    errors.push(String(error && error.stack ? error.stack : error));
  }
}

// k6 ends an iteration when its event loop is empty; it stops waiting after gracefulStop.
const gracefulStopMs = Number(/^(\d+)ms$/.exec(scenario.gracefulStop ?? '30000ms')?.[1] ?? 30_000);
const giveUpAt = exec.scenario.startTime + durationMs + gracefulStopMs;
while ((sockets.open > 0 || pendingTimers() > 0) && Date.now() < giveUpAt) await new Promise((resolve) => setTimeout(resolve, 50));
if (sockets.open > 0 || pendingTimers() > 0) errors.push(`emulator: ${sockets.open} sockets and ${pendingTimers()} timers still open after gracefulStop`);

writeFileSync(
  outputPath,
  JSON.stringify({
    options,
    setup: setupData ?? null,
    elapsedMs: Date.now() - exec.scenario.startTime,
    metrics: Object.fromEntries([...metrics].map(([name, metric]) => [name, metric])),
    errors,
  }),
);
process.exit(0);
