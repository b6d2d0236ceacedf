import { strict as assert } from "assert";
import { quietLab, unitCalls } from "./labSuite";

// How many remote round trips each operation makes is behaviour: every extra `juju ssh` costs about
// a second. A fresh up is the preflight's gates (before the Neutron rule, which no call to the unit can
// share) and one per step (kubeconfig, helm, driver, drop-in, /etc/default, restart: the other gates run
// inside the steps they guard); a rollback destroy skips the steps that only added files (a rollback
// keeps them); a remove destroy undoes every step. `npm run bench` measures the time.

const LIMITS = { freshUp: 7, rollbackDestroy: 4, removeDestroy: 6 } as const;

describe("remote round trips of one unit", function () {
  this.timeout(600_000);
  const lab = quietLab({ units: [{}] });

  it(`grafts in at most ${LIMITS.freshUp}, then makes none on a no-op up or a preview, and rolls back in at most ${LIMITS.rollbackDestroy}`, async () => {
    const engine = lab().engine();
    const config = lab().config();
    const up = await unitCalls(lab(), () => engine.up(config));
    assert.ok(up.length > 0 && up.length <= LIMITS.freshUp, `fresh up: ${up.length} calls`);
    assert.deepEqual([...new Set(up.map((c) => c.unit))], ["magnum/0"]);
    assert.equal((await unitCalls(lab(), () => engine.up(config))).length, 0, "no-op up");
    assert.equal((await unitCalls(lab(), () => engine.up(config, { preview: true }))).length, 0, "preview");
    const destroy = await unitCalls(lab(), () => engine.destroy());
    assert.ok(
      destroy.length > 0 && destroy.length <= LIMITS.rollbackDestroy,
      `rollback destroy: ${destroy.length} calls`,
    );
  });

  it(`removes in at most ${LIMITS.removeDestroy}`, async () => {
    const engine = lab().engine();
    await engine.up(lab().config({ destroyMode: "remove" }));
    const destroy = await unitCalls(lab(), () => engine.destroy());
    assert.ok(
      destroy.length > 0 && destroy.length <= LIMITS.removeDestroy,
      `remove destroy: ${destroy.length} calls`,
    );
  });
});
