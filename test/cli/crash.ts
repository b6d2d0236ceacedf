import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { JujuCall } from "../sim/juju/jujuFake";
import { Lab } from "../sim/lab";
import { SimUnit } from "../sim/unit/simUnit";
import { CliResult, CliStack } from "./cli";

// The operator's worst hour, driven through the real CLI: the engine SIGKILLed or interrupted right
// at a chosen remote call (the fake juju does it: test/sim/juju/engineSignal.ts), then the recovery
// the README gives, and the checks that it converged.

/**
 * Which step a remote call runs, told from its command line (each provider's script has a line no
 * other has). The names are the resources' suffixes: `magnum-1-` + name.
 */
export const STEP_CALLS: Readonly<Record<string, RegExp>> = {
  "preflight-gates": /trustee_domain_admin_password/,
  "access-kubeconfig": /^(?=[\s\S]*emit has_original)(?=[\s\S]*path='\\''\/etc\/magnum\/kubeconfig'\\'')/,
  "access-helm": /helm version --short/,
  "install-driver": /pip_run --upgrade/,
  "config-drop-in": /^(?=[\s\S]*emit has_original)(?=[\s\S]*00-capi-helm\.conf)/,
  "config-daemon-args": /emit show_args_ok/,
  "service-restart": /has_config_dir \|\| gate/,
  // A rollback destroy's calls: the undos that need the unit, then the unit's last restart.
  "config-daemon-args (undo)": /\nrestore '\\''\/etc\/default\/magnum-conductor'\\'' rollback\n/,
  "install-driver (undo)": /pinning back \$pkg/,
  "preflight-restart-after-destroy": /restarting \$svc after the /,
};

/** A remote call position: the call that runs `step` on `unit`. */
export interface Position {
  readonly unit: string;
  readonly step: string;
}

export const positionName = (p: Position) => `${p.unit.replace("/", "-")}-${p.step}`;

/** The step of each ssh call, asserting each call is exactly one step's. */
export function stepOf(call: JujuCall): string {
  const steps = Object.entries(STEP_CALLS).filter(([, re]) => re.test(call.command ?? ""));
  assert.equal(
    steps.length,
    1,
    `call ${call.index} to ${call.unit} is one step's (${steps.map((s) => s[0])})`,
  );
  return steps[0][0];
}

/** The positions of the ssh calls logged since `since` (ms), in the order they started. */
export async function positionsSince(lab: Lab, since: number): Promise<Position[]> {
  const calls = (await lab.juju.calls()).filter((c) => c.unit && c.start >= since);
  return calls.sort((a, b) => a.start - b.start).map((c) => ({ unit: c.unit as string, step: stepOf(c) }));
}

/** Arms the fake juju: the next call at `p` kills (after it ran) or interrupts (as it starts) the CLI. */
export async function arm(lab: Lab, p: Position, how: "kill" | "interrupt"): Promise<void> {
  await lab.juju.setKnobs({
    engineParent: process.pid,
    signalEngine: { how, unit: p.unit, command: STEP_CALLS[p.step].source },
  });
}

/** No signal; calls still record the CLI they ran under. */
export async function disarm(lab: Lab): Promise<void> {
  await lab.juju.setKnobs({ engineParent: process.pid });
}

export function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exited ${r.code} (${r.signal ?? "no signal"}):\n${r.output}`);
  return r;
}

/** Runs `args` with the fake juju armed at `p`; asserts the CLI was killed right after that call. */
export async function killedAt(lab: Lab, cli: CliStack, args: string[], p: Position): Promise<JujuCall> {
  await arm(lab, p, "kill");
  const r = await cli.run(args);
  await disarm(lab);
  const call = (await lab.juju.calls()).find((c) => c.signalled === "kill" && c.engine === r.pid);
  assert.ok(call, `pulumi ${args[0]} reached ${positionName(p)}; it ended ${r.code}:\n${r.output}`);
  assert.equal(r.signal, "SIGKILL", `pulumi ${args[0]} was killed at ${positionName(p)}:\n${r.output}`);
  assert.equal(call.exit, 0, `the call at ${positionName(p)} ran to the end on the unit`);
  return call;
}

/** What a recovery found and ran, for the sweep's table. */
export interface Recovery {
  /** Lock files the killed engine left behind. */
  readonly staleLocks: number;
  /** The killed engine's pending operations, by type (creating, updating, deleting). */
  readonly pending: Record<string, number>;
  readonly commands: string[];
}

/** The lock files the file backend holds for the stack (each names the pid that took it). */
export function lockFiles(cli: CliStack): string[] {
  const dir = path.join(cli.stateDir, ".pulumi", "locks");
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".json"));
}

/** The `.attrs` metadata files gocloud's fileblob keeps beside the backend's files, if it writes them. */
export function sidecars(cli: CliStack): string[] {
  return (fs.readdirSync(cli.stateDir, { recursive: true }) as string[]).filter((f) => f.endsWith(".attrs"));
}

/** The pending operations in the stack's state, by type. */
export async function pendingOperations(cli: CliStack): Promise<Record<string, number>> {
  const state = JSON.parse(await cli.exportState()) as {
    deployment: { pending_operations?: Array<{ type: string }> };
  };
  const counts: Record<string, number> = {};
  for (const op of state.deployment.pending_operations ?? []) counts[op.type] = (counts[op.type] ?? 0) + 1;
  return counts;
}

/**
 * The README's recovery after the engine died: the lock it left is removed with `pulumi cancel`
 * (the file backend deletes the stack's lock files; run it only once the pid the lock names is gone),
 * then `pulumi refresh --clear-pending-creates` reads every recorded resource from the units again
 * and forgets the creates the engine never saw finish (the next run makes them, each create being
 * safe to run again). The caller then runs the interrupted operation again.
 */
export async function recover(cli: CliStack): Promise<Recovery> {
  const staleLocks = lockFiles(cli).length;
  const pending = await pendingOperations(cli);
  const commands: string[] = [];
  if (staleLocks > 0) {
    ok(await cli.run(["cancel", "--yes", "--stack", cli.stack]), "pulumi cancel");
    commands.push("pulumi cancel --yes");
  }
  if (Object.keys(pending).length > 0) {
    ok(
      await cli.run(["refresh", "--clear-pending-creates", "--yes"]),
      "pulumi refresh --clear-pending-creates",
    );
    commands.push("pulumi refresh --clear-pending-creates --yes");
    assert.deepEqual(await pendingOperations(cli), {}, "no pending operation left after the refresh");
  }
  assert.deepEqual(lockFiles(cli), [], "no lock left");
  assert.deepEqual(
    sidecars(cli),
    [],
    "the backend as the README logs in to it (metadata=skip) wrote no sidecar",
  );
  return { staleLocks, pending, commands };
}

/** When each unit was down (a restart's start until its daemon served again), over the whole run. */
function downIntervals(u: SimUnit): Array<{ unit: string; start: number; end: number }> {
  const windows = u.restartWindows();
  return windows.map((w, i) => ({
    unit: u.spec.unit,
    start: w.start,
    // A restart that never served: down until a later restart's daemon served.
    end: w.end ?? windows.slice(i + 1).find((x) => x.end !== undefined)?.end ?? Infinity,
  }));
}

/** At no point were two conductors down, and every one is back. */
export function assertNeverTwoDown(units: SimUnit[]): void {
  const down = units.flatMap(downIntervals);
  for (const d of down) assert.ok(d.end !== Infinity, `${d.unit} came back after its restart at ${d.start}`);
  for (const a of down)
    for (const b of down)
      assert.ok(
        a.unit === b.unit || b.start > a.end || a.start > b.end,
        `${b.unit} was down (${b.start}-${b.end}) while ${a.unit} was down (${a.start}-${a.end})`,
      );
}
