import { RemoteScriptProvider } from "../../providers/kernel";
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as path from "path";
import { driverPythonFloor } from "../../core/pythonFloor";
import { PIP_PACKAGE } from "../../providers/pipPackage";
import { mutations } from "../harness/engine";
import { assertGrafted, assertRolledBack, onUnit } from "./gates";
import { quietLab, unitCalls } from "./labSuite";
import { apiPid, servingPort } from "./unit/api";
import { SimUnit } from "./unit/simUnit";
import { readIfExists, waitFor } from "./unit/testSupport";

// The pip step on conductors whose python3 is not the simulated units' usual venv: a system Python
// that Ubuntu noble marks externally managed (PEP 668), where the real pip refuses an install without
// --break-system-packages; and a python3 older than the driver's Requires-Python.

const driverVersion = (u: SimUnit) =>
  onUnit(u, "python3 -m pip show magnum-capi-helm 2>/dev/null | sed -n 's/^Version: //p'");

/**
 * Everything the unit may write, as the host sees it: the upper layers of its overlays and its private dirs.
 * Not a `.cache` in a home: any read-only Python tool run as root (list-drivers) may fill its entry-point cache.
 */
function unitWrites(u: SimUnit): string {
  const dirs = ["upper", "root", "home", "tmp", "var_tmp"].map((d) => path.join(u.spec.workDir, d));
  // Directories by name and mode only: a pruned cache still touches its parent's mtime.
  const listing = execFileSync("find", [
    ...[...dirs, "-name", ".cache", "-prune"],
    ...["-o", "-type", "d", "-printf", "%p %y %m\\n"],
    ...["-o", "-printf", "%p %y %s %m %T@\\n"],
  ]);
  return createHash("sha256").update(listing).digest("hex");
}

describe("the pip step on a conductor's own python3", function () {
  this.timeout(600_000);

  describe("a system Python marked EXTERNALLY-MANAGED, as on Ubuntu noble", () => {
    const lab = quietLab({
      units: [{ python: "system", etcDefault: "# site tuning kept by the graft\nexport OS_DEBUG=0\n" }],
    });

    it("is no venv, and its pip refuses an install without --break-system-packages", async () => {
      const u = lab().units[0];
      const probe =
        "import os, sys, sysconfig; print(sys.prefix == sys.base_prefix, os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))";
      assert.equal(await onUnit(u, `python3 -c "${probe}"`), "True True");
      const r = await u.sh(
        `python3 -m pip install --no-deps --index-url ${lab().server.indexUrl()} magnum-capi-helm==1.4.0`,
        { user: "root" },
      );
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /externally-managed-environment/);
      assert.equal(await driverVersion(u), "");
    });

    it("grafts, then changes nothing on a second up, then rolls back to 1.3.0", async () => {
      const u = lab().units[0];
      const engine = lab().engine();
      const config = lab().config();
      const original = {
        etcDefault: await u.readFile("/etc/default/magnum-conductor"),
        magnumConf: await u.readFile("/etc/magnum/magnum.conf"),
      };
      await engine.up(config);
      await assertGrafted(lab(), u);
      // Where pip puts a system-wide install on Debian and Ubuntu: local/lib/python3.X/dist-packages.
      assert.match(
        await onUnit(u, "python3 -m pip show magnum-capi-helm | sed -n 's/^Location: //p'"),
        /^\/usr\/local\/lib\/magnum-system-python\/local\/lib\/python3\.[0-9]+\/dist-packages$/,
      );
      let ops: string[] = [];
      const calls = await unitCalls(lab(), async () => {
        ops = mutations((await engine.up(config)).ops);
      });
      assert.deepEqual([ops, calls.length], [[], 0], "a no-op up");
      await engine.destroy();
      await assertRolledBack(lab(), u, original);
    });
  });

  describe(`a python3 older than magnum-capi-helm 1.4.0's floor (${driverPythonFloor("1.4.0")})`, () => {
    const lab = quietLab({ units: [{ preinstalledDriver: "1.3.0", pythonVersionShown: "3.8.10" }] });
    const refusal =
      /pip install magnum-capi-helm==1\.4\.0 on magnum\/0: expected Python >= 3\.10 for magnum-capi-helm 1\.4\.0; saw Python 3\.8\.10\./;

    it("refuses the install before the step changes anything on the unit", async () => {
      const u = lab().units[0];
      // Once the daemons serve, they write nothing more than their status files in /run.
      await waitFor("the conductor serving", () => readIfExists(u.statusFile));
      await servingPort(u);
      const before = unitWrites(u);
      const pid = await u.daemonPid();
      await assert.rejects(
        new RemoteScriptProvider(PIP_PACKAGE).create({
          transport: { kind: "juju", model: "openstack" },
          unit: u.spec.unit,
          package: "magnum-capi-helm",
          version: "1.4.0",
          indexUrl: lab().server.indexUrl(),
          entryPointGroup: "magnum.drivers",
          entryPointName: "k8s_capi_helm_v1",
          rollbackVersion: "1.3.0",
          destroyMode: "rollback",
          pythonFloor: driverPythonFloor("1.4.0"),
          rollbackPythonFloor: driverPythonFloor("1.3.0"),
        }),
        refusal,
      );
      assert.equal(unitWrites(u), before, "no file on the unit changed");
      assert.equal(await u.daemonPid(), pid);
    });

    it("stops an up at the unit's first gates, before anything on the unit changes: no kubeconfig, 1.3.0, same daemon", async () => {
      const u = lab().units[0];
      await servingPort(u);
      const [pid, api] = [await u.daemonPid(), await apiPid(u)];
      const before = unitWrites(u);
      const engine = lab().engine();
      await assert.rejects(
        engine.up(lab().config()),
        /preflight on magnum\/0: expected Python >= 3\.10 for magnum-capi-helm 1\.4\.0; saw Python 3\.8\.10/,
      );
      assert.equal(unitWrites(u), before, "no file on the unit changed");
      assert.equal(await driverVersion(u), "1.3.0");
      assert.equal(await u.daemonPid(), pid);
      const rules = await lab().cloud.rules("capi-mgmt-sg");
      assert.ok(
        !rules.some((r) => r.remote_ip_prefix === `${u.spec.address}/32`),
        "no rule opened for the unit",
      );
      // Nothing to undo: the destroy writes nothing and restarts neither the conductor nor the API.
      await engine.destroy();
      assert.equal(unitWrites(u), before, "the destroy changed no file");
      assert.deepEqual([await u.daemonPid(), await apiPid(u)], [pid, api]);
    });
  });
});
