import { strict as assert } from "assert";
import { MiniEngine, mutations } from "../harness/engine";
import { assertGrafted, assertRemoved, assertRolledBack, onUnit, PreGraft } from "./gates";
import { Lab } from "./lab";
import { RestartWindow, SimUnit } from "./unit/simUnit";

// Several conductors: the restarts of an up and of a destroy roll one unit at a time, measured by
// the simulated units themselves (when each `systemctl restart` began, when the new daemon served).

const DRIVER = "k8s_capi_helm_v1";
const OWED = "test -e /var/lib/magnum-capi-graft/restart-pending && echo owed || echo none";

/** The restart windows each unit recorded after `seen` (per unit, what restartWindows() held before). */
function windowsSince(units: SimUnit[], seen: Map<SimUnit, number>): Map<SimUnit, RestartWindow[]> {
  return new Map(units.map((u) => [u, u.restartWindows().slice(seen.get(u) ?? 0)]));
}

function mark(units: SimUnit[]): Map<SimUnit, number> {
  return new Map(units.map((u) => [u, u.restartWindows().length]));
}

/**
 * Each unit restarted once, in `order`; each restart began only after the one before had its daemon
 * serving (with the driver, when `driver`) and the provider call that ran it had ended (its script
 * waits for that). Returns the windows in order, for the figures.
 */
async function assertRolled(
  lab: Lab,
  order: SimUnit[],
  seen: Map<SimUnit, number>,
  driver: boolean,
): Promise<Array<RestartWindow & { unit: string }>> {
  const got = windowsSince(order, seen);
  const calls = await lab.juju.calls();
  const rolled = order.map((u) => {
    const w = got.get(u) ?? [];
    assert.equal(w.length, 1, `${u.spec.unit} restarted once (saw ${w.length})`);
    assert.ok(w[0].end !== undefined, `${u.spec.unit}'s daemon served after its restart`);
    if (driver) assert.ok(w[0].drivers?.includes(DRIVER), `${u.spec.unit} loaded ${DRIVER}`);
    return { ...w[0], unit: u.spec.unit };
  });
  for (let i = 1; i < rolled.length; i++) {
    const prev = rolled[i - 1];
    const call = calls.find((c) => c.unit === prev.unit && c.start <= prev.start && prev.start <= c.end);
    assert.ok(call, `the provider call that restarted ${prev.unit}`);
    assert.ok(
      rolled[i].start > (prev.end ?? Infinity) && rolled[i].start > call.end,
      `${rolled[i].unit} restarted at ${rolled[i].start}, before ${prev.unit} was back ` +
        `(served ${prev.end}, its restart call ended ${call.end})`,
    );
  }
  return rolled;
}

function report(title: string, t0: number, rolled: Array<RestartWindow & { unit: string }>): void {
  const s = (ms: number | undefined) => ((Number(ms) - t0) / 1000).toFixed(1);
  console.log(`      ${title}: ${rolled.map((w) => `${w.unit} ${s(w.start)}-${s(w.end)} s`).join(", ")}`);
}

async function pids(units: SimUnit[]): Promise<Array<number | undefined>> {
  return Promise.all(units.map((u) => u.daemonPid()));
}

describe("several conductors: rolling restarts", function () {
  this.timeout(900_000);

  describe("three units: fresh up, then a rollback destroy", () => {
    let lab: Lab;
    let engine: MiniEngine;
    const original = new Map<SimUnit, PreGraft>();

    before(async () => {
      lab = await Lab.start({
        units: [0, 1, 2].map(() => ({ etcDefault: "# site tuning kept by the graft\nexport OS_DEBUG=0\n" })),
      });
      engine = lab.engine();
      for (const u of lab.units) {
        original.set(u, {
          etcDefault: await u.readFile("/etc/default/magnum-conductor"),
          magnumConf: await u.readFile("/etc/magnum/magnum.conf"),
        });
      }
    });
    after(async () => lab?.stop());

    it("grafts every unit and restarts them one after the other, each once the previous is back", async () => {
      const seen = mark(lab.units);
      const t0 = Date.now();
      const r = await engine.up(lab.config());
      for (const u of lab.units) await assertGrafted(lab, u);
      report("up restart windows", t0, await assertRolled(lab, lab.units, seen, true));
      const out = r.outputs.conductors as Record<string, Record<string, unknown>>;
      for (const u of lab.units) {
        assert.deepEqual(
          { running: out[u.spec.unit].runningDriverVersion, owes: out[u.spec.unit].owesRestart },
          { running: "1.4.0", owes: false },
          u.spec.unit,
        );
      }
    });

    it("rolls the restarts of a rollback destroy too, last unit first, and restores byte-exact", async () => {
      const seen = mark(lab.units);
      const t0 = Date.now();
      await engine.destroy();
      report("rollback restart windows", t0, await assertRolled(lab, [...lab.units].reverse(), seen, true));
      for (const u of lab.units) await assertRolledBack(lab, u, original.get(u) as PreGraft);
    });
  });

  describe("adding and removing units, remove mode", () => {
    let lab: Lab;
    let engine: MiniEngine;
    const withUnits = (units: SimUnit[]) =>
      lab.config({
        destroyMode: "remove",
        conductors: units.map((u) => ({ unit: u.spec.unit, address: u.spec.address })),
      });

    before(async () => {
      lab = await Lab.start({ units: [{}, {}, {}, {}] });
      engine = lab.engine();
    });
    after(async () => lab?.stop());

    it("grafts three units with rolling restarts", async () => {
      const three = lab.units.slice(0, 3);
      const seen = mark(lab.units);
      await engine.up(withUnits(three));
      for (const u of three) await assertGrafted(lab, u);
      await assertRolled(lab, three, seen, true);
      assert.equal(windowsSince([lab.units[3]], seen).get(lab.units[3])?.length, 0, "magnum/3 untouched");
    });

    it("records an owed restart on refresh and restarts only that unit on up", async () => {
      const three = lab.units.slice(0, 3);
      const before = await pids(three);
      await onUnit(lab.units[1], "touch /var/lib/magnum-capi-graft/restart-pending");
      assert.ok((await engine.refresh()).includes("magnum-1-service-restart"));
      const entry = [...engine.state.values()].find((e) => e.name === "magnum-1-service-restart");
      assert.deepEqual(
        { owed: entry?.outputs.owed, running: entry?.outputs.runningVersion },
        { owed: "1", running: "1.4.0" },
      );
      const r = await engine.up(withUnits(three));
      assert.deepEqual(mutations(r.ops), ["magnum-1-service-restart:update"]);
      const after = await pids(three);
      assert.equal(after[0], before[0]);
      assert.notEqual(after[1], before[1]);
      assert.equal(after[2], before[2]);
      assert.equal(await onUnit(lab.units[1], OWED), "none");
    });

    it("adds a fourth unit: the preview and the up touch only its resources", async () => {
      const three = lab.units.slice(0, 3);
      const before = await pids(three);
      const seen = mark(lab.units);
      const unitSteps = (ops: string[]) => ops.filter((m) => /^magnum-\d-/.test(m));
      const preview = await engine.up(withUnits(lab.units), { preview: true });
      const previewed = unitSteps(mutations(preview.ops));
      assert.ok(
        previewed.length > 0 && previewed.every((m) => m.startsWith("magnum-3-")),
        previewed.join(", "),
      );
      const r = await engine.up(withUnits(lab.units));
      assert.deepEqual(
        unitSteps(mutations(r.ops)).sort(),
        previewed.map((m) => m.replace(/:.*/, ":create")).sort(),
      );
      await assertGrafted(lab, lab.units[3]);
      assert.deepEqual(await pids(three), before, "no other unit restarted");
      const got = windowsSince(lab.units, seen);
      assert.deepEqual(
        lab.units.map((u) => got.get(u)?.length),
        [0, 0, 0, 1],
      );
    });

    it("removes a unit from the middle: only it is un-grafted, the others keep their daemons", async () => {
      const kept = [lab.units[0], lab.units[2], lab.units[3]];
      const before = await pids(kept);
      const r = await engine.up(withUnits(kept));
      assert.ok(
        mutations(r.ops)
          .filter((m) => /^magnum-\d-/.test(m))
          .every((m) => m.startsWith("magnum-1-") && m.endsWith(":delete")),
        mutations(r.ops).join(", "),
      );
      await assertRemoved(lab, lab.units[1]);
      assert.deepEqual(await pids(kept), before);
      for (const u of kept) await assertGrafted(lab, u);
    });

    it("rolls the restarts of a remove destroy", async () => {
      const kept = [lab.units[0], lab.units[2], lab.units[3]];
      const seen = mark(kept);
      const t0 = Date.now();
      await engine.destroy();
      report("remove restart windows", t0, await assertRolled(lab, [...kept].reverse(), seen, false));
      for (const u of kept) await assertRemoved(lab, u);
    });
  });

  describe("a restart that fails on the second of three units", () => {
    let lab: Lab;
    let engine: MiniEngine;

    before(async () => {
      lab = await Lab.start({ units: [0, 1, 2].map(() => ({ preinstalledDriver: "1.3.0" as const })) });
      engine = lab.engine();
    });
    after(async () => lab?.stop());

    it("stops the roll before the third unit, naming the units that owe a restart", async () => {
      const [, second, third] = lab.units;
      const thirdPid = await third.daemonPid();
      // A file the daemon reads only once the graft points --config-dir at it: only the restart fails.
      await onUnit(second, "install -d -m 0755 /etc/magnum/magnum.conf.d");
      await second.writeFile("/etc/magnum/magnum.conf.d/99-leftover.conf", "[capi_helm\n");
      await assert.rejects(
        engine.up(lab.config()),
        (e: Error) =>
          /restart magnum-conductor on magnum\/1: expected magnum-conductor active after the restart; saw failed/.test(
            e.message,
          ) &&
          e.message.includes("still owing a restart: magnum/1, magnum/2") &&
          e.message.includes("`pulumi up` after the fix continues the roll"),
      );
      await assertGrafted(lab, lab.units[0]);
      assert.equal(await third.daemonPid(), thirdPid, "magnum/2 not restarted");
      assert.equal(third.restartWindows().length, 0);
      assert.equal(await onUnit(third, OWED), "owed", "its changes ran, its restart is owed");
      const running = third.starts().at(-1);
      assert.deepEqual(
        { pid: running?.pid, version: running?.driverVersion },
        { pid: thirdPid, version: "1.3.0" },
        "magnum/2 still runs the daemon that loaded the old driver",
      );
    });

    it("continues the roll after the fix and converges", async () => {
      const [first, second, third] = lab.units;
      const firstPid = await first.daemonPid();
      const seen = mark(lab.units);
      await onUnit(second, "rm -f /etc/magnum/magnum.conf.d/99-leftover.conf");
      const r = await engine.up(lab.config());
      for (const u of lab.units) await assertGrafted(lab, u);
      assert.equal(await first.daemonPid(), firstPid, "magnum/0 was done: not restarted again");
      await assertRolled(lab, [second, third], seen, true);
      const out = r.outputs.conductors as Record<string, Record<string, unknown>>;
      for (const u of lab.units) {
        assert.equal(out[u.spec.unit].owesRestart, false);
        assert.equal(out[u.spec.unit].runningDriverVersion, "1.4.0");
      }
    });
  });
});
