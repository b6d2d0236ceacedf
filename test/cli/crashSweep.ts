import { KubeApiServer } from "../kube/apiserver";
import { assertGrafted, assertRolledBack, PreGraft } from "../sim/gates";
import {
  assertNeverTwoDown,
  killedAt,
  ok,
  Position,
  positionName,
  positionsSince,
  recover,
  Recovery,
} from "./crash";
import { crashApiServer, crashWorld, CrashWorld } from "./crashWorld";

// `npm run crash-sweep [-- --units 1,3 --ops up,destroy --only <position>...]`: the real CLI
// SIGKILLed right after EVERY remote call of a fresh `up` and of a rollback `destroy`, each in a
// fresh world: the README's recovery, the operation again, then the checks (every gate, never two
// conductors down, the rollback byte-exact, 1.3.0 running). Prints a table; exits 1 if any failed.

type Op = "up" | "destroy";

interface Row {
  readonly units: number;
  readonly op: Op;
  readonly position: string;
  readonly recovery?: Recovery;
  readonly error?: string;
  readonly seconds: number;
}

function args(): { units: number[]; ops: Op[]; only: string[] } {
  const argv = process.argv.slice(2);
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? (argv[i + 1] ?? "") : undefined;
  };
  const only: string[] = [];
  argv.forEach((a, i) => a === "--only" && only.push(argv[i + 1]));
  return {
    units: (value("--units") ?? "1,3").split(",").map(Number),
    ops: (value("--ops") ?? "up,destroy").split(",") as Op[],
    only,
  };
}

/** Every remote call of a fresh up and of the rollback destroy after it, in the order they started. */
async function referencePositions(kube: KubeApiServer, units: number): Promise<Record<Op, Position[]>> {
  const w = await crashWorld(kube, units);
  try {
    const t0 = Date.now();
    ok(await w.cli.run(["up", "--yes"]), "reference pulumi up");
    const up = await positionsSince(w.lab, t0);
    const t1 = Date.now();
    ok(await w.cli.run(["destroy", "--yes"]), "reference pulumi destroy");
    return { up, destroy: await positionsSince(w.lab, t1) };
  } finally {
    await w.stop();
  }
}

async function assertRolledBackAll(w: CrashWorld): Promise<void> {
  for (const u of w.lab.units) await assertRolledBack(w.lab, u, w.original.get(u) as PreGraft);
  assertNeverTwoDown(w.lab.units);
}

/** One position: killed there, recovered, finished, and the graft rolled back at the end. */
async function tryPosition(kube: KubeApiServer, units: number, op: Op, p: Position): Promise<Recovery> {
  const w = await crashWorld(kube, units);
  try {
    if (op === "destroy") ok(await w.cli.run(["up", "--yes"]), "pulumi up");
    await killedAt(w.lab, w.cli, [op, "--yes"], p);
    const recovery = await recover(w.cli);
    ok(await w.cli.run([op, "--yes"]), `pulumi ${op} after the recovery`);
    if (op === "up") {
      for (const u of w.lab.units) await assertGrafted(w.lab, u);
      assertNeverTwoDown(w.lab.units);
      ok(await w.cli.run(["destroy", "--yes"]), "pulumi destroy");
    }
    await assertRolledBackAll(w);
    return recovery;
  } finally {
    await w.stop();
  }
}

function table(rows: Row[]): string {
  const pending = (r?: Recovery) =>
    r
      ? Object.entries(r.pending)
          .map(([k, n]) => `${n} ${k}`)
          .join(", ") || "none"
      : "";
  const lines = [
    ["units", "op", "killed after", "stale lock", "pending ops", "recovery run", "result", "s"],
    ...rows.map((r) => [
      String(r.units),
      r.op,
      r.position,
      r.recovery ? String(r.recovery.staleLocks) : "",
      pending(r.recovery),
      r.recovery?.commands.join(" && ") ?? "",
      r.error ? `FAILED: ${r.error.split("\n")[0]}` : `recovered, ${r.op} converged`,
      String(r.seconds),
    ]),
  ];
  const width = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((c, i) => c.padEnd(width[i])).join(" | ")).join("\n");
}

async function main(): Promise<number> {
  const o = args();
  const kube = await crashApiServer("crash sweep");
  if (!kube) return 1;
  const rows: Row[] = [];
  try {
    for (const units of o.units) {
      const reference = await referencePositions(kube, units);
      for (const op of o.ops) {
        for (const p of reference[op]) {
          if (o.only.length > 0 && !o.only.includes(positionName(p))) continue;
          const t0 = Date.now();
          let recovery: Recovery | undefined;
          let error: string | undefined;
          try {
            recovery = await tryPosition(kube, units, op, p);
          } catch (e) {
            error = (e as Error).message;
          }
          const row = {
            units,
            op,
            position: positionName(p),
            recovery,
            error,
            seconds: Math.round((Date.now() - t0) / 1000),
          };
          rows.push(row);
          console.log(
            `crash-sweep: ${units} unit(s), ${op} killed after ${row.position}: ${error ?? "recovered"} (${row.seconds} s)`,
          );
        }
      }
    }
  } finally {
    await kube.stop();
  }
  console.log(`\n${table(rows)}\n`);
  const failed = rows.filter((r) => r.error).length;
  console.log(
    `crash-sweep: ${rows.length} positions tried, ${rows.length - failed} recovered, ${failed} failed`,
  );
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
