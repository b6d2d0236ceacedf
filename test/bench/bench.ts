import { JujuCall } from "../sim/juju/config";
import { Lab } from "../sim/lab";

// `npm run bench [-- --latency-ms N]`: remote calls, connections and wall time of each lifecycle
// operation against simulated units, for 1 and 3 units. Timing lives here, never in a test.

const DEFAULT_LATENCY_MS = 1000;
const print = (line = "") => process.stdout.write(`${line}\n`);

function latencyMs(argv: readonly string[]): number {
  const i = argv.indexOf("--latency-ms");
  const raw = i >= 0 ? argv[i + 1] : (process.env.BENCH_LATENCY_MS ?? String(DEFAULT_LATENCY_MS));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--latency-ms: expected an integer >= 0, got ${raw}`);
  return n;
}

/**
 * SSH connections an operation opened. The one place to plug the transports' connection counter in,
 * once the node-ssh transports export one; the juju transport opens its connections inside `juju ssh`.
 */
function sshConnections(): string {
  return "n/a (juju transport)";
}

/** A restart's round trip: the scripts of both restarts (apply and after a destroy) hold this line. */
const isRestart = (c: JujuCall) => c.index > 0 && (c.command ?? "").includes('systemctl restart "$svc"');

interface Measured {
  readonly op: string;
  readonly seconds: number;
  readonly calls: JujuCall[];
  readonly t0: number;
}

async function measure(lab: Lab, op: string, run: () => Promise<unknown>): Promise<Measured> {
  const before = (await lab.juju.calls()).length;
  const t0 = Date.now();
  const log = console.log;
  console.log = () => undefined; // the providers' progress lines
  try {
    await run();
  } finally {
    console.log = log;
  }
  const seconds = (Date.now() - t0) / 1000;
  return { op, seconds, calls: (await lab.juju.calls()).slice(before), t0 };
}

function report(m: Measured, units: readonly string[]): void {
  const ssh = m.calls.filter((c) => c.index > 0);
  const controller = m.calls.length - ssh.length;
  const perUnit = units.map((u) => `${u} ${ssh.filter((c) => c.unit === u).length}`).join(", ");
  print(
    `  ${m.op.padEnd(9)} ${m.seconds.toFixed(1).padStart(6)} s  unit calls ${String(ssh.length).padStart(2)} ` +
      `(${perUnit})  controller calls ${controller}  ssh connections ${sshConnections()}`,
  );
  if (units.length < 2) return;
  const windows = m.calls
    .filter(isRestart)
    .map((c) => ({ unit: c.unit ?? "?", start: (c.start - m.t0) / 1000, end: (c.end - m.t0) / 1000 }))
    .sort((a, b) => a.start - b.start);
  if (windows.length === 0) return;
  const overlap = windows.some((w, i) => i > 0 && w.start < windows[i - 1].end);
  const list = windows.map((w) => `${w.unit} ${w.start.toFixed(1)}-${w.end.toFixed(1)} s`).join(", ");
  print(`            restart windows: ${list}; ${overlap ? "OVERLAP" : "no overlap"}`);
}

async function bench(units: number, latency: number): Promise<void> {
  const lab = await Lab.start({ units: Array.from({ length: units }, () => ({})) });
  try {
    await lab.juju.setKnobs({ latencyMs: latency });
    const engine = lab.engine();
    const config = lab.config();
    const names = lab.units.map((u) => u.spec.unit);
    print(`\n${units} unit${units > 1 ? "s" : ""}, ${latency} ms added to every juju call:`);
    report(await measure(lab, "fresh up", () => engine.up(config)), names);
    report(await measure(lab, "no-op up", () => engine.up(config)), names);
    report(await measure(lab, "preview", () => engine.up(config, { preview: true })), names);
    report(await measure(lab, "refresh", () => engine.refresh()), names);
    report(await measure(lab, "destroy", () => engine.destroy()), names);
  } finally {
    await lab.stop();
  }
}

async function main(): Promise<void> {
  const latency = latencyMs(process.argv.slice(2));
  for (const n of [1, 3]) await bench(n, latency);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
