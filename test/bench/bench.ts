import { closeSshConnections, sshConnectionsOpened } from "../../providers/transport/sshPool";
import { Lab } from "../sim/lab";
import { directAddresses, startDirect } from "../sim/ssh/directLab";
import { TestSshd } from "../sim/ssh/sshd";
import { SimUnit } from "../sim/unit/simUnit";

// `npm run bench [-- --latency-ms N] [--transport juju|direct|all]`: remote calls, SSH connections,
// wall time and restart windows of each lifecycle operation against simulated units, for 1 and 3
// units. Timing lives here, never in a test; overlapping restarts are a defect, so they fail the run.

const DEFAULT_LATENCY_MS = 1000;
const TRANSPORTS = ["juju", "direct"] as const;
type Transport = (typeof TRANSPORTS)[number];
const print = (line = "") => process.stdout.write(`${line}\n`);

function option(argv: readonly string[], name: string, env: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 ? (argv[i + 1] ?? "") : (process.env[env] ?? fallback);
}

function latencyMs(argv: readonly string[]): number {
  const raw = option(argv, "--latency-ms", "BENCH_LATENCY_MS", String(DEFAULT_LATENCY_MS));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--latency-ms: expected an integer >= 0, got ${raw}`);
  return n;
}

function transports(argv: readonly string[]): readonly Transport[] {
  const raw = option(argv, "--transport", "BENCH_TRANSPORT", "all");
  if (raw === "all") return TRANSPORTS;
  const t = TRANSPORTS.find((x) => x === raw);
  if (!t) throw new Error(`--transport: expected juju, direct or all, got ${raw}`);
  return [t];
}

/** One lab readied for a transport: what an operation's counters are read from. */
interface Bench {
  readonly transport: Transport;
  readonly lab: Lab;
  readonly sshd?: TestSshd;
  readonly config: Record<string, unknown>;
}

interface Counters {
  readonly jujuCalls: number;
  readonly sessions: number;
  readonly opened: Record<string, number>;
  readonly restarts: number[];
}

async function counters(b: Bench): Promise<Counters> {
  return {
    jujuCalls: (await b.lab.juju.calls()).length,
    sessions: b.sshd?.sessions().length ?? 0,
    opened: sshConnectionsOpened(),
    restarts: b.lab.units.map((u) => u.restartWindows().length),
  };
}

interface Window {
  readonly unit: string;
  readonly start: number;
  readonly end?: number;
}

interface Row {
  readonly transport: Transport;
  readonly units: number;
  readonly op: string;
  readonly seconds: number;
  /** Per unit: `juju ssh` calls, or sshd sessions that landed in the unit. */
  readonly calls: number[];
  /** `juju status` and other controller calls. */
  readonly controller: number;
  /** Per unit, for node-ssh transports. */
  readonly connections?: number[];
  readonly windows: Window[];
  readonly overlap: boolean;
}

/** Restarts overlap when one begins before the one before it has its new daemon serving. */
const overlaps = (w: readonly Window[]) => w.some((x, i) => i > 0 && x.start < (w[i - 1].end ?? Infinity));

async function measure(b: Bench, op: string, run: () => Promise<unknown>): Promise<Row> {
  // Each pulumi command is its own provider process, so no connection outlives an operation.
  closeSshConnections();
  const before = await counters(b);
  const t0 = Date.now();
  const log = console.log;
  console.log = () => undefined; // the providers' progress lines
  try {
    await run();
  } finally {
    console.log = log;
  }
  const seconds = (Date.now() - t0) / 1000;
  const units = b.lab.units;
  const names = units.map((u) => u.spec.unit);
  const calls = (await b.lab.juju.calls()).slice(before.jujuCalls);
  const sessions = b.sshd?.sessions().slice(before.sessions) ?? [];
  const perUnit = (u: string) =>
    b.sshd ? sessions.filter((s) => s === u).length : calls.filter((c) => c.index > 0 && c.unit === u).length;
  const after = sshConnectionsOpened();
  const key = (u: SimUnit) => `root@${u.spec.address}:${b.sshd?.port}`;
  const windows = units
    .flatMap((u, i) =>
      u
        .restartWindows()
        .slice(before.restarts[i])
        .map((w) => ({ ...w, unit: u.spec.unit })),
    )
    .map((w) => ({ unit: w.unit, start: (w.start - t0) / 1000, end: w.end && (w.end - t0) / 1000 }))
    .sort((x, y) => x.start - y.start);
  return {
    transport: b.transport,
    units: units.length,
    op,
    seconds,
    calls: names.map(perUnit),
    controller: calls.filter((c) => c.index === 0).length,
    connections: b.sshd && units.map((u) => (after[key(u)] ?? 0) - (before.opened[key(u)] ?? 0)),
    windows,
    overlap: overlaps(windows),
  };
}

const sum = (ns: readonly number[]) => ns.reduce((a, n) => a + n, 0);
const perUnit = (ns: readonly number[]) =>
  ns.length > 1 ? `${sum(ns)} (${ns.join(", ")})` : String(sum(ns));
const connections = (r: Row) => (r.connections ? perUnit(r.connections) : "n/a (inside `juju ssh`)");
const windowList = (r: Row) =>
  r.windows.map((w) => `${w.unit} ${w.start.toFixed(1)}-${w.end?.toFixed(1) ?? "never served"}`).join(", ");

function report(r: Row): void {
  print(
    `  ${r.op.padEnd(9)} ${r.seconds.toFixed(1).padStart(6)} s  remote calls ${perUnit(r.calls)}  ` +
      `controller calls ${r.controller}  ssh connections ${connections(r)}`,
  );
  if (r.windows.length > 0) {
    const verdict = r.units > 1 ? `; ${r.overlap ? "OVERLAP" : "no overlap"}` : "";
    print(`            restart windows (s): ${windowList(r)}${verdict}`);
  }
}

async function start(transport: Transport, units: number, latency: number): Promise<Bench> {
  const specs =
    transport === "direct"
      ? directAddresses(units).map((address) => ({ address }))
      : Array.from({ length: units }, () => ({}));
  const lab = await Lab.start({ units: specs });
  try {
    await lab.juju.setKnobs({ latencyMs: latency });
    if (transport === "juju") return { transport, lab, config: lab.config() };
    const direct = await startDirect(lab, latency);
    return { transport, lab, sshd: direct.sshd, config: lab.config({ transport: direct.transport }) };
  } catch (e) {
    await lab.stop();
    throw e;
  }
}

async function bench(transport: Transport, units: number, latency: number): Promise<Row[]> {
  const b = await start(transport, units, latency);
  try {
    const engine = b.lab.engine();
    const where = transport === "juju" ? "juju call" : "sshd session";
    print(`\n${transport}, ${units} unit${units > 1 ? "s" : ""}, ${latency} ms added to every ${where}:`);
    const rows: Row[] = [];
    const ops: Array<[string, () => Promise<unknown>]> = [
      ["fresh up", () => engine.up(b.config)],
      ["no-op up", () => engine.up(b.config)],
      ["preview", () => engine.up(b.config, { preview: true })],
      ["refresh", () => engine.refresh()],
      ["destroy", () => engine.destroy()],
    ];
    for (const [op, run] of ops) {
      const row = await measure(b, op, run);
      report(row);
      rows.push(row);
    }
    return rows;
  } finally {
    closeSshConnections();
    await b.sshd?.stop();
    await b.lab.stop();
  }
}

/** The figures as docs/benchmark.md's table. */
function table(rows: readonly Row[]): void {
  print(
    "\n| transport | units | operation | wall time | remote calls (per unit) | SSH connections | restart windows (s) |",
  );
  print("| --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const verdict = r.units > 1 ? `: ${r.overlap ? "overlap" : "no overlap"}` : "";
    const windows = r.windows.length > 0 ? `${windowList(r)}${verdict}` : "";
    print(
      `| ${r.transport} | ${r.units} | ${r.op} | ${r.seconds.toFixed(1)} s | ${perUnit(r.calls)} | ${connections(r)} | ${windows} |`,
    );
  }
}

/**
 * Where a 3-unit fresh up spends its extra time: if only the restarts serialize, its first restart
 * begins when the 1-unit up's does, and the rest is the roll.
 */
function scaling(ups: readonly Row[]): void {
  const [one, three] = [1, 3].map((n) => ups.find((r) => r.units === n));
  if (!one?.windows[0] || !three?.windows[0]) return;
  const first = (r: Row) => r.windows[0].start;
  print(
    `\n${one.transport}: the 3-unit fresh up took ${(three.seconds / one.seconds).toFixed(2)}x the 1-unit one; ` +
      `first restart at ${first(one).toFixed(1)} s and ${first(three).toFixed(1)} s, ` +
      `then ${(one.seconds - first(one)).toFixed(1)} s and ${(three.seconds - first(three)).toFixed(1)} s to the end`,
  );
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const latency = latencyMs(argv);
  const rows: Row[] = [];
  for (const t of transports(argv)) for (const n of [1, 3]) rows.push(...(await bench(t, n, latency)));
  table(rows);
  for (const t of transports(argv)) scaling(rows.filter((r) => r.transport === t && r.op === "fresh up"));
  const overlapping = rows.filter((r) => r.overlap);
  if (overlapping.length > 0) {
    const which = overlapping.map((r) => `${r.transport} ${r.units} units ${r.op}: ${windowList(r)}`);
    throw new Error(`restarts overlap (at most one conductor may be down at a time): ${which.join("; ")}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
