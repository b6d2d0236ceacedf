import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { MiniEngine, mutations } from "../harness/engine";
import { assertGrafted, assertRemoved, onUnit, sha } from "./gates";
import { Lab } from "./lab";
import { apiPid } from "./unit/api";

// Whole lifecycles through the real providers (serialized and loaded back as the SDK host does)
// against simulated conductor units: every runbook GATE is checked on the unit itself. The plain
// fresh graft, no-op, preview, drift, rollback, remove and egress-gate lifecycle runs under the real
// CLI (test/cli/lifecycle.cli.test.ts); here: health and smoke test, and faults injected mid-run.

describe("lifecycle against a simulated conductor", function () {
  this.timeout(600_000);

  describe("existing graft from 1.3.0, health and smoke test, then remove", () => {
    let lab: Lab;
    let engine: MiniEngine;

    before(async () => {
      lab = await Lab.start({
        units: [{ preinstalledDriver: "1.3.0" }],
        clusters: ["capi-test-1"],
        templates: ["capi-k8s-v1-32"],
      });
      engine = lab.engine();
    });
    after(async () => lab?.stop());

    it("goes from UNHEALTHY on 1.3.0 to HEALTHY on 1.4.0 and passes the smoke test", async () => {
      const r = await engine.up(
        lab.config({
          healthCheckCluster: "capi-test-1",
          healthPollIntervalSeconds: 2,
          smokeTest: {
            template: "capi-k8s-v1-32",
            keypair: "capi-mgmt-key",
            masterCount: 1,
            nodeCount: 1,
            timeoutMinutes: 2,
          },
        }),
      );
      await assertGrafted(lab, lab.units[0]);
      const out = r.outputs.conductors as Record<string, Record<string, unknown>>;
      assert.equal(out["magnum/0"].health, "HEALTHY");
      assert.ok(mutations(r.ops).includes("acceptance-smoke-test:create"));
    });

    it("undoes everything on a remove-mode destroy", async () => {
      await engine.up(
        lab.config({
          destroyMode: "remove",
          // capi-test-1 is on the CAPI driver: test/sim/dayTwo.test.ts shows the refusal without this.
          allowRemoveWithClusters: true,
          healthCheckCluster: "capi-test-1",
          healthPollIntervalSeconds: 2,
        }),
      );
      await engine.destroy();
      await assertRemoved(lab, lab.units[0]);
    });
  });

  describe("gates and faults", () => {
    let lab: Lab;

    before(async () => {
      lab = await Lab.start({ units: [{}] });
    });
    after(async () => lab?.stop());

    it("refuses an empty kubeconfig transfer, leaving no file, and converges on the next up", async () => {
      const engine = lab.engine();
      // The second call: the first is the preflight's gates.
      await lab.juju.setKnobs({ dropStdinOnCall: 2 });
      await assert.rejects(
        engine.up(lab.config()),
        /write \/etc\/magnum\/kubeconfig on magnum\/0: expected a payload of sha256 [0-9a-f]{64}; saw sha256 e3b0c442/,
      );
      assert.equal(
        await onUnit(lab.units[0], "test -e /etc/magnum/kubeconfig && echo present || echo absent"),
        "absent",
      );
      await lab.juju.setKnobs({});
      await engine.up(lab.config());
      await assertGrafted(lab, lab.units[0]);
      await engine.destroy();
    });

    it("converges after the connection drops once the pip install has run", async () => {
      const engine = lab.engine();
      await lab.juju.setKnobs({ exit255AfterRunOnCall: 3 });
      await assert.rejects(
        engine.up(lab.config({ destroyMode: "remove" })),
        /on magnum\/0: juju ssh to magnum\/0 failed with exit 255/,
      );
      await lab.juju.setKnobs({});
      await engine.up(lab.config({ destroyMode: "remove" }));
      await assertGrafted(lab, lab.units[0]);
      await engine.destroy();
      assert.equal(await onUnit(lab.units[0], "systemctl is-active magnum-conductor"), "active");
    });

    it("puts /etc/default back when show-args breaks, and never restarts", async () => {
      const engine = lab.engine();
      const u = lab.units[0];
      await u.writeFile("/etc/default/openstack", "exit 1\n");
      const pid = await u.daemonPid();
      await assert.rejects(
        engine.up(lab.config({ destroyMode: "remove" })),
        /block in \/etc\/default\/magnum-conductor on magnum\/0: expected show-args showing/,
      );
      assert.equal(
        await onUnit(u, "test -e /etc/default/magnum-conductor && echo present || echo absent"),
        "absent",
      );
      assert.equal(await u.daemonPid(), pid, "no restart happened");
      await onUnit(u, "rm -f /etc/default/openstack");
      await engine.destroy();
    });

    it("stops at an empty trustee password before any change, naming the unit", async () => {
      const engine = lab.engine();
      const u = lab.units[0];
      const conf = "/etc/magnum/magnum.conf";
      const before = (await u.readFile(conf)) as Buffer;
      const st = await u.stat(conf);
      assert.ok(st);
      const emptied = String(before).replace(/^(trustee_domain_admin_password\s*=).*$/m, "$1");
      assert.notEqual(emptied, String(before));
      await u.writeFile(conf, emptied, `0${st.mode.slice(-3)}`, `${st.owner}:${st.group}`);
      try {
        await assert.rejects(
          engine.up(lab.config()),
          /preflight on magnum\/0: expected \[trust\] trustee_domain_admin_password set in \/etc\/magnum\/magnum\.conf; saw it is empty or missing/,
        );
        assert.equal(
          await onUnit(u, "test -e /etc/magnum/kubeconfig && echo present || echo absent"),
          "absent",
        );
        // The preflight guards the Neutron rule too: nothing was opened for the unit.
        assert.deepEqual(
          (await lab.cloud.rules("capi-mgmt-sg"))
            .map((r) => r.remote_ip_prefix)
            .filter((p) => p?.endsWith("/32")),
          [],
        );
        // Nothing was changed, so the destroy restarts nothing: not the conductor, not the API.
        const [pid, api] = [await u.daemonPid(), await apiPid(u)];
        await engine.destroy();
        assert.equal(await u.daemonPid(), pid);
        assert.equal(await apiPid(u), api);
      } finally {
        await u.writeFile(conf, before, `0${st.mode.slice(-3)}`, `${st.owner}:${st.group}`);
      }
    });

    it("stops at the TCP gate when the conductor cannot reach the apiserver, and converges once it can", async () => {
      const engine = lab.engine();
      const u = lab.units[0];
      const hosts = String(await u.readFile("/etc/hosts"));
      // Only the unit resolves this name, and at first to an address where nothing listens: the
      // management checks from this machine pass, the conductor alone cannot connect.
      await u.writeFile("/etc/hosts", `${hosts}127.0.0.2 capi-mgmt.lab\n`);
      const port = new URL(lab.cloud.kubeServer).port;
      const kubeconfig = path.join(lab.dir, "by-name.kubeconfig");
      const byName = fs
        .readFileSync(lab.kubeconfigPath, "utf8")
        .replace(lab.cloud.kubeServer, `http://capi-mgmt.lab:${port}`);
      fs.writeFileSync(kubeconfig, byName, { mode: 0o600 });
      const config = lab.config({
        mgmtApiHost: "capi-mgmt.lab",
        mgmtKubeconfigPath: kubeconfig,
        destroyMode: "remove",
        // The server's name resolves only on the unit: the destroy guard cannot list from here.
        allowRemoveWithClusters: true,
      });
      try {
        await assert.rejects(
          engine.up(config),
          new RegExp(
            `TCP gate to capi-mgmt\\.lab:${port} on magnum/0: expected TCP-OK to capi-mgmt\\.lab:${port}; saw TCP-FAIL`,
          ),
        );
        // The TCP gate runs in the kubeconfig's step, after the rule it needs: nothing reaches the unit.
        for (const f of ["/etc/magnum/kubeconfig", "/usr/local/bin/helm"])
          assert.equal(await onUnit(u, `test -e ${f} && echo present || echo absent`), "absent", f);
        assert.equal(
          await onUnit(
            u,
            "python3 -m pip show magnum-capi-helm >/dev/null 2>&1 && echo installed || echo absent",
          ),
          "absent",
        );
        assert.ok(
          (await lab.cloud.rules("capi-mgmt-sg")).some((x) => x.remote_ip_prefix === "10.12.4.76/32"),
          "the rule comes before the gate",
        );
        await u.writeFile("/etc/hosts", `${hosts}127.0.0.1 capi-mgmt.lab\n`);
        await engine.up(config);
        assert.equal(await onUnit(u, "systemctl is-active magnum-conductor"), "active");
        assert.match(await onUnit(u, "magnum-driver-manage list-drivers"), /k8s_capi_helm_v1/);
        assert.equal(sha((await u.readFile("/etc/magnum/kubeconfig")) ?? ""), sha(byName));
        await engine.destroy();
        assert.ok(
          !(await lab.cloud.rules("capi-mgmt-sg")).some((x) => x.remote_ip_prefix === "10.12.4.76/32"),
          "remove mode takes the rule back",
        );
      } finally {
        await u.writeFile("/etc/hosts", hosts);
      }
    });

    it("fails the restart when the daemon cannot start, keeps the restart owed, and converges once fixed", async () => {
      const engine = lab.engine();
      const u = lab.units[0];
      // A broken file left in conf.d by an earlier attempt: the daemon reads it only once the graft
      // points --config-dir there, so no gate before the restart can see it.
      await onUnit(u, "install -d -m 0755 /etc/magnum/magnum.conf.d");
      await u.writeFile("/etc/magnum/magnum.conf.d/99-leftover.conf", "[capi_helm\n");
      const config = lab.config({ destroyMode: "remove" });
      await assert.rejects(
        engine.up(config),
        /restart magnum-conductor on magnum\/0: expected magnum-conductor active after the restart; saw failed/,
      );
      assert.notEqual(await onUnit(u, "systemctl is-active magnum-conductor || true"), "active");
      const owed = "test -e /var/lib/magnum-capi-graft/restart-pending && echo owed || echo none";
      assert.equal(await onUnit(u, owed), "owed");
      await onUnit(u, "rm -f /etc/magnum/magnum.conf.d/99-leftover.conf");
      await engine.up(config);
      await assertGrafted(lab, u);
      assert.equal(await onUnit(u, owed), "none");
      await engine.destroy();
      assert.equal(await onUnit(u, "systemctl is-active magnum-conductor"), "active");
      assert.equal(
        await onUnit(u, "test -d /etc/magnum/magnum.conf.d && echo kept || echo gone"),
        "kept",
        "a conf.d the graft did not create stays",
      );
      await onUnit(u, "rmdir /etc/magnum/magnum.conf.d");
    });
  });
});
