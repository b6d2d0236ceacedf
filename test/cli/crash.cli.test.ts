import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as path from "path";
import * as fs from "fs";
import { KubeApiServer } from "../kube/apiserver";
import { assertGrafted, assertRolledBack, PreGraft } from "../sim/gates";
import { Lab } from "../sim/lab";
import { CliResult, CliStack } from "./cli";
import {
  arm,
  assertNeverTwoDown,
  disarm,
  killedAt,
  lockFiles,
  ok,
  pendingOperations,
  Position,
  positionName,
  recover,
  sidecars,
} from "./crash";
import { crashApiServer, crashWorld, CrashWorld } from "./crashWorld";

// The operator's worst hour with the REAL pulumi CLI (test/cli/cli.ts): the engine SIGKILLed right
// after a remote call ran on a unit, Ctrl-C in the middle of a run, two engines on one stack. The
// fake juju signals the CLI at the chosen call (test/sim/juju/engineSignal.ts). A sample: every
// resource kind and both sides of every unit's restart; `npm run crash-sweep` tries every call.

/**
 * Each kill depends on the one before (the step it kills after runs only once the previous kill's
 * step is done), so every kill is reached although the other units run side by side: every step of
 * magnum/0, then after each unit's restart, which is also just before the next unit's.
 */
const UP_CHAIN: Position[] = [
  ...[
    "preflight-gates",
    "access-kubeconfig",
    "access-helm",
    "install-driver",
    "config-drop-in",
    "config-daemon-args",
  ].map((step) => ({ unit: "magnum/0", step })),
  ...[0, 1, 2].map((i) => ({ unit: `magnum/${i}`, step: "service-restart" })),
];

/** A rollback destroy runs the last unit first: its undos, its restart, then the others' restarts. */
const DESTROY_CHAIN: Position[] = [
  { unit: "magnum/2", step: "config-daemon-args (undo)" },
  { unit: "magnum/2", step: "install-driver (undo)" },
  ...[2, 1, 0].map((i) => ({ unit: `magnum/${i}`, step: "preflight-restart-after-destroy" })),
];

async function callsBy(lab: Lab, r: CliResult): Promise<number> {
  return (await lab.juju.calls()).filter((c) => c.engine === r.pid).length;
}

const LOCKED =
  /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./;

/** The refusal names the lock of the engine that holds it, by its pid. */
function assertRefusedBy(refused: CliResult, holder: CliResult): void {
  assert.notEqual(refused.code, 0);
  assert.match(refused.output, LOCKED);
  assert.match(refused.output, new RegExp(`created by [^ ]+@[^ ]+ \\(pid ${holder.pid}\\)`));
}

describe("the real pulumi CLI killed, interrupted, or run twice at once", function () {
  this.timeout(1_800_000);
  let kube: KubeApiServer | undefined;

  before(async function () {
    kube = await crashApiServer("crash tier");
    if (!kube) this.skip();
  });
  after(async () => kube?.stop());

  describe("three units: the engine SIGKILLed along a fresh up, then along a rollback destroy", () => {
    let w: CrashWorld;
    before(async () => (w = await crashWorld(kube as KubeApiServer, 3)));
    after(async () => w?.stop());

    it("each kill is recovered (cancel, refresh --clear-pending-creates) and `up` converges: gates hold, never two down", async () => {
      for (const p of UP_CHAIN) {
        await killedAt(w.lab, w.cli, ["up", "--yes"], p);
        const r = await recover(w.cli);
        assert.equal(r.staleLocks, 1, `${positionName(p)}: the killed engine's lock`);
        assert.ok(
          (r.pending.creating ?? 0) >= 1,
          `${positionName(p)}: pending creates ${JSON.stringify(r.pending)}`,
        );
      }
      ok(await w.cli.run(["up", "--yes"]), "pulumi up after the last recovery");
      for (const u of w.lab.units) await assertGrafted(w.lab, u);
      assertNeverTwoDown(w.lab.units);
      ok(await w.cli.run(["preview", "--expect-no-changes"]), "pulumi preview --expect-no-changes");
    });

    it("each kill of the destroy is recovered and a second destroy restores every pre-graft file byte-exact", async () => {
      for (const p of DESTROY_CHAIN) {
        await killedAt(w.lab, w.cli, ["destroy", "--yes"], p);
        const r = await recover(w.cli);
        assert.equal(r.staleLocks, 1, `${positionName(p)}: the killed engine's lock`);
      }
      ok(await w.cli.run(["destroy", "--yes"]), "pulumi destroy after the last recovery");
      for (const u of w.lab.units) await assertRolledBack(w.lab, u, w.original.get(u) as PreGraft);
      assertNeverTwoDown(w.lab.units);
    });
  });

  describe("three units: Ctrl-C (one SIGINT) during an up and during a destroy", () => {
    let w: CrashWorld;
    before(async () => (w = await crashWorld(kube as KubeApiServer, 3)));
    after(async () => w?.stop());

    /** The call the SIGINT came at ran to its end; the CLI left no lock and nothing pending. */
    async function assertStoppedCleanly(r: CliResult, p: Position): Promise<void> {
      assert.notEqual(r.code, 0, `interrupted at ${positionName(p)}:\n${r.output}`);
      assert.equal(r.signal, null, "the CLI exited by itself");
      assert.match(r.output, /error: update canceled/);
      const call = (await w.lab.juju.calls()).find((c) => c.signalled === "interrupt" && c.engine === r.pid);
      assert.ok(call, `the SIGINT came at ${positionName(p)}:\n${r.output}`);
      assert.equal(call.exit, 0, "the call in flight ran to its end");
      assert.deepEqual(lockFiles(w.cli), [], "no lock left");
      assert.deepEqual(await pendingOperations(w.cli), {}, "no pending operation");
      assertNeverTwoDown(w.lab.units);
    }

    it("up: the restart in flight finishes, the roll stops, the next up converges with no recovery step", async () => {
      const p = { unit: "magnum/1", step: "service-restart" };
      await arm(w.lab, p, "interrupt");
      const r = await w.cli.run(["up", "--yes"]);
      await disarm(w.lab);
      await assertStoppedCleanly(r, p);
      assert.equal(w.lab.units[2].restartWindows().length, 0, "magnum/2's restart was not started");
      ok(await w.cli.run(["up", "--yes"]), "pulumi up after Ctrl-C");
      for (const u of w.lab.units) await assertGrafted(w.lab, u);
      assertNeverTwoDown(w.lab.units);
    });

    // CLI 3.276 ends a destroy cancelled by SIGINT with exit status 0 and "The resources in the stack have
    // been deleted" although it stopped: what is left stays in state, and a second destroy finishes it.
    it("destroy: the restart in flight finishes, the rest is left recorded, the next destroy rolls back byte-exact with no recovery step", async () => {
      const p = { unit: "magnum/1", step: "preflight-restart-after-destroy" };
      const firstUnitRestarts = w.lab.units[0].restartWindows().length;
      await arm(w.lab, p, "interrupt");
      const r = await w.cli.run(["destroy", "--yes"]);
      await disarm(w.lab);
      assert.match(r.output, /\^C received; cancelling/, "the CLI saw the interrupt");
      const call = (await w.lab.juju.calls()).find((c) => c.signalled === "interrupt" && c.engine === r.pid);
      assert.ok(call, `the SIGINT came at ${positionName(p)}:\n${r.output}`);
      assert.equal(call.exit, 0, "the call in flight ran to its end");
      assert.equal(
        w.lab.units[0].restartWindows().length,
        firstUnitRestarts,
        "magnum/0's restart was not started",
      );
      assert.deepEqual(lockFiles(w.cli), [], "no lock left");
      assert.deepEqual(await pendingOperations(w.cli), {}, "no pending operation");
      assert.match(
        await w.cli.exportState(),
        /magnum-0-preflight-restart-after-destroy/,
        "the rest still recorded",
      );
      assertNeverTwoDown(w.lab.units);
      ok(await w.cli.run(["destroy", "--yes"]), "pulumi destroy after Ctrl-C");
      for (const u of w.lab.units) await assertRolledBack(w.lab, u, w.original.get(u) as PreGraft);
      assertNeverTwoDown(w.lab.units);
    });
  });

  describe("one unit: two engines on one stack", () => {
    let w: CrashWorld;
    before(async () => (w = await crashWorld(kube as KubeApiServer, 1)));
    after(async () => w?.stop());

    it("two `up` started together: one runs, the other is refused before any call, naming the holder", async () => {
      const [a, b] = await Promise.all([w.cli.run(["up", "--yes"]), w.cli.run(["up", "--yes"])]);
      const ran = [a, b].filter((r) => r.code === 0);
      // The file backend writes its lock, then looks for another: two started in the same instant
      // may both see the other's and both refuse. Never may both run.
      assert.ok(ran.length <= 1, "at most one ran");
      for (const [r, other] of [
        [a, b],
        [b, a],
      ] as const) {
        if (r.code === 0) continue;
        assert.match(r.output, LOCKED);
        if (other.code === 0) assertRefusedBy(r, other);
        assert.equal(await callsBy(w.lab, r), 0, "the refused engine made no call to the unit");
      }
      if (ran.length === 0) ok(await w.cli.run(["up", "--yes"]), "pulumi up alone");
      await assertGrafted(w.lab, w.lab.units[0]);
      assert.deepEqual(lockFiles(w.cli), []);
    });

    it("an `up` against a running destroy is refused before any call, naming the destroy's engine", async () => {
      const since = Date.now();
      const destroy = w.cli.run(["destroy", "--yes"]);
      // The destroy holds the lock once it calls a unit.
      while (!(await w.lab.juju.calls()).some((c) => c.unit && c.start >= since))
        await new Promise((r) => setTimeout(r, 200));
      const up = await w.cli.run(["up", "--yes"]);
      const d = ok(await destroy, "pulumi destroy");
      assertRefusedBy(up, d);
      assert.equal(await callsBy(w.lab, up), 0, "the refused up made no call to the unit");
      await assertRolledBack(w.lab, w.lab.units[0], w.original.get(w.lab.units[0]) as PreGraft);
      assert.deepEqual(lockFiles(w.cli), []);
    });
  });
});

describe("the file backend after an engine killed inside its sidecar write", function () {
  this.timeout(300_000);

  it("a default login leaves an emptied .attrs that stops every command; the README's find command clears it; metadata=skip writes none", async () => {
    const plain = await CliStack.create("sidecar", "");
    try {
      const sidecar = path.join(plain.stateDir, ".pulumi/stacks/magnum-capi-graft/sidecar.json.attrs");
      assert.ok(fs.existsSync(sidecar), `the default backend keeps ${sidecar}`);
      // What a SIGKILL between fileblob's os.Create of the sidecar and its write leaves.
      fs.writeFileSync(sidecar, "");
      const broken = await plain.run(["stack", "export", "--stack", "sidecar"]);
      assert.notEqual(broken.code, 0);
      assert.match(broken.output, /error: failed to load checkpoint: EOF/);
      // The README's command, with the state directory in place of ~/.pulumi-state.
      execFileSync("bash", [
        "-c",
        `find "$1"/.pulumi -name '*.attrs' -size 0 -delete`,
        "bash",
        plain.stateDir,
      ]);
      assert.match(await plain.exportState(), /"version": 3/);
      assert.ok(!fs.existsSync(sidecar), "the empty sidecar went");
      assert.ok(sidecars(plain).length > 0, "the others stayed");
    } finally {
      plain.remove();
    }
    const skip = await CliStack.create("nosidecar");
    try {
      assert.match(await skip.exportState(), /"version": 3/);
      assert.deepEqual(sidecars(skip), [], "no sidecar with metadata=skip");
    } finally {
      skip.remove();
    }
  });
});
