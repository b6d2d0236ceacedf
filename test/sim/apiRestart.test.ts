import { strict as assert } from "assert";
import { MiniEngine, mutations } from "../harness/engine";
import { onUnit } from "./gates";
import { quietLab } from "./labSuite";
import { apiLoaded, apiPid, apiStarts, CAPI_TYPE, HEAT_TYPE, NOT_SUPPORTED, resolve } from "./unit/api";
import { SimUnit } from "./unit/simUnit";

// magnum-api keeps the driver list it resolved first (and the driver code it imported) until it
// restarts. The units here ran a driver before the graft, and their API had resolved it: after the
// graft only a restarted API knows k8s_capi_helm_v1, and after a rollback only a restarted one runs 1.3.0.

const API_RESTARTS = "cat /run/systemd-sim/magnum-api/restarts 2>/dev/null | wc -l";

/** When each unit's API restarts of this operation began (ms), from what systemctl recorded. */
async function apiRestartTimes(u: SimUnit): Promise<number[]> {
  const r = await u.sh("cat /run/systemd-sim/magnum-api/restarts 2>/dev/null || true");
  return r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map(Number);
}

/** The pid of each unit's API, and the CAPI type resolved by it. */
async function apis(units: SimUnit[]) {
  return Promise.all(units.map(async (u) => ({ pid: await apiPid(u), capi: await resolve(u, CAPI_TYPE) })));
}

describe("magnum-api after the conductor's restart", function () {
  this.timeout(900_000);

  describe("units whose API served a driver before the graft", () => {
    const lab = quietLab({ units: [{ preGraftDriver: true }, { preGraftDriver: true }] });
    let engine: MiniEngine;
    let before: Array<number | undefined>;

    it("resolves the pre-graft driver before the graft (its list is now cached)", async () => {
      engine = lab().engine();
      for (const u of lab().units) assert.equal((await resolve(u, HEAT_TYPE)).driver, "k8s_fedora_coreos_v1");
      before = await Promise.all(lab().units.map(apiPid));
    });

    it("with restartApi false: grafts the conductors, leaves the API alone, which still rejects the CAPI type", async () => {
      await engine.up(lab().config({ restartApi: "false" }));
      for (const [i, a] of (await apis(lab().units)).entries()) {
        assert.equal(a.pid, before[i], "the API was left alone");
        assert.match(String(a.capi.error), NOT_SUPPORTED);
      }
      assert.equal(
        await onUnit(lab().units[0], "magnum-driver-manage list-drivers | grep -c k8s_capi_helm_v1"),
        "1",
      );
    });

    it("with restartApi auto: restarts each unit's API after its conductor, one unit at a time, and it serves the CAPI driver", async () => {
      const units = lab().units;
      const conductors = await Promise.all(units.map((u) => u.daemonPid()));
      const seenStarts = units.map((u) => apiStarts(u).length);
      const seenRestarts = await Promise.all(units.map(apiRestartTimes));
      const ops = mutations((await engine.up(lab().config())).ops);
      assert.deepEqual(ops.filter((o) => o.includes("-service-restart:")).sort(), [
        "magnum-0-service-restart:update",
        "magnum-1-service-restart:update",
      ]);
      for (const [i, a] of (await apis(units)).entries()) {
        assert.notEqual(a.pid, before[i], `${units[i].spec.unit}: a new API process`);
        assert.equal(a.capi.driver, "k8s_capi_helm_v1");
        assert.equal((await apiLoaded(units[i])).drivers.k8s_capi_helm_v1, "1.4.0");
      }
      assert.deepEqual(
        await Promise.all(units.map((u) => u.daemonPid())),
        conductors,
        "no conductor restart owed",
      );
      // The second unit's API restart began only once the first unit's new API listened.
      const restarts = await Promise.all(units.map(apiRestartTimes));
      const began = restarts.map((r, i) => r.slice(seenRestarts[i].length));
      assert.deepEqual(
        began.map((b) => b.length),
        [1, 1],
      );
      const served = apiStarts(units[0]).slice(seenStarts[0]);
      assert.equal(served.length, 1);
      assert.ok(began[1][0] > served[0].at, "magnum/1's API restarted only after magnum/0's served");
      assert.deepEqual(mutations((await engine.up(lab().config())).ops), [], "then a no-op");
    });

    it("a rollback destroy restarts the API after the pin: it loads 1.3.0", async () => {
      const pidsBefore = await Promise.all(lab().units.map(apiPid));
      await engine.destroy();
      for (const [i, u] of lab().units.entries()) {
        const loaded = await apiLoaded(u);
        assert.notEqual(loaded.pid, pidsBefore[i]);
        assert.equal(loaded.drivers.k8s_capi_helm_v1, "1.3.0");
        assert.equal(await onUnit(u, "systemctl is-active magnum-api"), "active");
      }
    });
  });

  describe("a unit without magnum-api", () => {
    const lab = quietLab({ units: [{ api: false }] });
    let engine: MiniEngine;

    it("restartApi true stops the restart step before anything restarts", async () => {
      engine = lab().engine();
      const u = lab().units[0];
      await assert.rejects(engine.up(lab().config({ restartApi: "true" })), (e: Error) => {
        assert.match(
          e.message,
          /expected magnum-api installed on the unit \(restartApi true\); saw LoadState not-found/,
        );
        return true;
      });
      assert.equal(
        await onUnit(u, "test -e /var/lib/magnum-capi-graft/restart-pending && echo owed"),
        "owed",
      );
      assert.equal(u.restartWindows().length, 0, "the conductor did not restart");
    });

    it("restartApi auto then grafts it as before", async () => {
      const u = lab().units[0];
      await engine.up(lab().config());
      assert.equal(await onUnit(u, "systemctl is-active magnum-conductor"), "active");
      assert.equal(await onUnit(u, API_RESTARTS), "0");
      assert.deepEqual(mutations((await engine.up(lab().config())).ops), []);
      await engine.destroy();
    });
  });
});
