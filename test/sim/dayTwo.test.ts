import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as http from "http";
import { AddressInfo } from "net";
import { checkControllerVersions, controllerVersion, TESTED_WITH } from "../../components/compatibility";
import { capiMagnumClusters, isCapiTemplate } from "../../openstack/clusters";
import { chartIndexScript } from "../../providers/gates/chartIndex";
import { PRELUDE } from "../../providers/prelude";
import { describeDestroy, DestroyGuardInputs, DestroyGuardProvider } from "../../providers/destroyGuard";
import { parseResults } from "../../providers/remote";
import { chartIndex } from "./cloud/charts";
import { MiniEngine, mutations } from "../harness/engine";
import { Lab, PROJECT_ID } from "./lab";
import { SimUnit } from "./unit/simUnit";

// Day 2: the compatibility gate before any change, the destroy guard that refuses a remove while
// the driver manages clusters, and the rollback's consequences recorded for the destroy preview.

const TESTED = { capi: "v1.13.2", capo: "v0.14.4", orc: "v2.5.0" };

describe("compatibility gate (pure)", () => {
  it("reads the manager container's tag, digest or not", () => {
    const containers = [
      { name: "kube-rbac-proxy", image: "quay.io/brancz/kube-rbac-proxy:v0.18.0" },
      {
        name: "manager",
        image: "registry.k8s.io/capi-openstack/capi-openstack-controller:v0.14.4@sha256:abc",
      },
    ];
    assert.equal(controllerVersion("capo-system/capo-controller-manager", containers), "v0.14.4");
    assert.equal(controllerVersion("x/y", [{ name: "c", image: "reg:5000/orc/controller:2.5.0" }]), "v2.5.0");
    assert.throws(
      () =>
        controllerVersion("capi-system/capi-controller-manager", [
          { name: "manager", image: "reg/capi@sha256:abc" },
        ]),
      /expected deployment capi-system\/capi-controller-manager to run a manager image tagged with its version; saw "reg\/capi@sha256:abc"/,
    );
  });

  it("passes the tested minors and names what was found", () => {
    assert.equal(checkControllerVersions("0.25.1", TESTED), "CAPI v1.13.2, CAPO v0.14.4, ORC v2.5.0");
    assert.equal(
      checkControllerVersions("0.25.3", { ...TESTED, capo: "v0.14.9" }),
      "CAPI v1.13.2, CAPO v0.14.9, ORC v2.5.0",
    );
  });

  it("stops on a provider outside the tested minor, with what was found and what is expected", () => {
    assert.throws(
      () => checkControllerVersions("0.25.1", { ...TESTED, capo: "v0.13.1" }),
      (e: Error) =>
        e.message.includes("tested with CAPI v1.13, CAPO v0.14, ORC v2.5") &&
        e.message.includes("runs CAPI v1.13.2, CAPO v0.13.1, ORC v2.5.0") &&
        e.message.includes("CAPO is off") &&
        e.message.includes("Nothing was changed"),
    );
    // v1.130 is not v1.13.
    assert.throws(() => checkControllerVersions("0.25.1", { ...TESTED, capi: "v1.130.0" }), /CAPI is off/);
  });

  it("stops on a chart version whose tested versions are unknown", () => {
    assert.ok(TESTED_WITH["0.25"]);
    assert.throws(() => checkControllerVersions("0.26.0", TESTED), /known \(0\.25\.x\); saw 0\.26\.0/);
  });
});

describe("chart index check script", () => {
  let server: http.Server;
  let repo: string;

  before(async () => {
    const index = chartIndex({ "openstack-cluster": ["0.24.3", "0.25.1"], other: ["0.25.7"] });
    server = http.createServer((req, res) => {
      res.writeHead(req.url === "/charts/index.yaml" ? 200 : 404).end(index);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    repo = `http://127.0.0.1:${(server.address() as AddressInfo).port}/charts`;
  });
  after(() => server.close());

  /** The script as the unit runs it (prelude included), here, without blocking the server. */
  function run(repoUrl: string, version: string): Promise<{ code: number; out: Record<string, string> }> {
    const script = `${PRELUDE}\n${chartIndexScript({ kind: "chartIndex", repo: repoUrl, chart: "openstack-cluster", version })}\n`;
    return new Promise((resolve) => {
      const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
      let stdout = "";
      child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
      child.on("close", (code) => resolve({ code: code ?? -1, out: parseResults(stdout) }));
    });
  }

  it("passes when the chart lists the version", async () => {
    const r = await run(repo, "0.25.1");
    assert.equal(r.code, 0);
    assert.equal(r.out.seen, `openstack-cluster 0.25.1 listed in ${repo}/index.yaml`);
  });

  it("fails the gate naming the versions listed; another chart's and a dependency's versions do not count", async () => {
    for (const version of ["0.25.7", "9.9.9"]) {
      const r = await run(`${repo}/`, version);
      assert.equal(r.code, 3, version);
      assert.equal(r.out["fail.expected"], `openstack-cluster version ${version} in ${repo}/index.yaml`);
      assert.equal(r.out["fail.seen"], "0.24.3 0.25.1 (newest of 2 listed)");
    }
  });

  it("fails the gate on an index that is not there", async () => {
    const r = await run(`${repo}/missing`, "0.25.1");
    assert.equal(r.code, 3);
    assert.match(r.out["fail.seen"], /^HTTP 404/);
  });
});

describe("destroy guard (pure)", () => {
  const base: DestroyGuardInputs = {
    destroyMode: "rollback",
    allowRemoveWithClusters: false,
    projectId: PROJECT_ID,
    kubeconfig: "kc",
    units: ["magnum/0", "magnum/1"],
    driverVersion: "1.4.0",
    rollbackDriverVersion: "1.3.0",
  };
  const inv = {
    magnum: ["prod-1 (u-1, created 2026-01-02T00:00:00Z)"],
    capi: [`magnum-${PROJECT_ID}/prod-1`],
  };

  it("keeps only clusters on a template the CAPI driver serves", () => {
    const templates = [
      { uuid: "t-ubuntu", name: "capi", coe: "kubernetes", server_type: "vm", cluster_distro: "ubuntu" },
      { uuid: "t-fcos", name: "heat", coe: "kubernetes", server_type: "vm", cluster_distro: "fedora-coreos" },
      {
        uuid: "t-named",
        name: "named",
        coe: "kubernetes",
        server_type: "vm",
        cluster_distro: "fedora-coreos",
        driver: "k8s_capi_helm_v1",
      },
    ];
    assert.deepEqual(templates.map(isCapiTemplate), [true, false, true]);
    const clusters = [
      { uuid: "a", name: "a", cluster_template_id: "t-ubuntu" },
      { uuid: "b", name: "b", cluster_template_id: "t-fcos" },
      { uuid: "c", name: "c", cluster_template_id: "t-named" },
    ];
    assert.deepEqual(
      capiMagnumClusters({ clusters, templates }).map((c) => c.name),
      ["a", "c"],
    );
  });

  it("states the rollback's consequences and the clusters affected", () => {
    const text = describeDestroy(base, inv);
    for (const part of [
      "pins magnum-capi-helm 1.3.0 on magnum/0, magnum/1",
      'UNHEALTHY ("Infrastructure resource not found.")',
      "magnum-<uuid>, while 1.4.0 creates magnum-<uuid>-<hex>",
      "Clusters affected: prod-1 (u-1, created 2026-01-02T00:00:00Z).",
    ])
      assert.ok(text.includes(part), `${part} in ${text}`);
  });

  it("states a remove's refusal, or the override's cost", () => {
    assert.match(
      describeDestroy({ ...base, destroyMode: "remove" }, inv),
      /is refused while clusters exist .*magnum: prod-1.*capi: magnum-/,
    );
    assert.match(
      describeDestroy({ ...base, destroyMode: "remove", allowRemoveWithClusters: true }, inv),
      /allowRemoveWithClusters\): they become unmanageable from Magnum/,
    );
  });

  it("diffs without I/O and never replaces", async () => {
    const p = new DestroyGuardProvider();
    const olds = { ...base, clusters: [], onDestroy: "" };
    assert.deepEqual(await p.diff("g", olds, base), { changes: false });
    assert.deepEqual(await p.diff("g", olds, { ...base, allowRemoveWithClusters: true }), { changes: true });
  });

  it("lets an allowed remove through without asking anything", async () => {
    // An unreachable project and kubeconfig: any listing would fail.
    await new DestroyGuardProvider().delete("g", {
      ...base,
      destroyMode: "remove",
      allowRemoveWithClusters: true,
      kubeconfig: "not: [valid",
      clusters: [],
      onDestroy: "",
    });
  });
});

async function onUnit(u: SimUnit, script: string): Promise<string> {
  return (await u.sh(script, { user: "root" })).stdout.trim();
}

/** What a refusal must leave alone: the driver, the graft's files, the daemon and the rule. */
async function snapshot(lab: Lab): Promise<Record<string, unknown>> {
  const u = lab.units[0];
  return {
    driver: await onUnit(u, "python3 -m pip show magnum-capi-helm 2>/dev/null | sed -n 's/^Version: //p'"),
    files: await onUnit(
      u,
      "for p in /etc/magnum/kubeconfig /etc/magnum/magnum.conf.d/00-capi-helm.conf /etc/default/magnum-conductor /usr/local/bin/helm; do test -e $p && sha256sum $p || echo absent $p; done",
    ),
    pid: await u.daemonPid(),
    rules: (await lab.cloud.rules("capi-mgmt-sg")).map((r) => r.id).sort(),
  };
}

describe("day 2 against a simulated conductor", function () {
  this.timeout(600_000);
  let lab: Lab;
  let engine: MiniEngine;
  const capiCluster = { namespace: `magnum-${PROJECT_ID}`, name: "prod-1-4a2bx" };

  before(async () => {
    lab = await Lab.start({
      units: [{}],
      clusters: ["prod-1"],
      templates: ["capi-k8s-v1-32", { name: "heat-fcos", clusterDistro: "fedora-coreos" }],
      capiClusters: [capiCluster],
    });
    engine = lab.engine();
  });
  after(async () => lab?.stop());

  it("stops at a CAPO outside the chart's tested minor before any unit call", async () => {
    const since = Date.now();
    await lab.cloud.setControllerImages({
      "capo-system/capo-controller-manager":
        "registry.k8s.io/capi-openstack/capi-openstack-controller:v0.13.1",
    });
    try {
      await assert.rejects(
        engine.up(lab.config()),
        /chart 0\.25\.1 was tested with CAPI v1\.13, CAPO v0\.14, ORC v2\.5; the management cluster runs CAPI v1\.13\.2, CAPO v0\.13\.1, ORC v2\.5\.0/,
      );
    } finally {
      await lab.cloud.setControllerImages({});
    }
    assert.equal((await lab.juju.calls()).filter((c) => c.start >= since).length, 0, "no juju call");
    assert.equal((await lab.cloud.rules("capi-mgmt-sg")).length, 2, "no rule added");
  });

  it("stops at a chart version the repo does not list, fetched from the conductor, before any change", async () => {
    const before = await snapshot(lab);
    await assert.rejects(
      lab.engine().up(lab.config({ chartVersion: "0.25.7" })),
      /chart index check \(openstack-cluster 0\.25\.7\) on magnum\/0: expected openstack-cluster version 0\.25\.7 in http:\/\/127\.0\.0\.1:\d+\/index\.yaml; saw 0\.24\.3 0\.25\.0 0\.25\.1 \(newest of 3 listed\)/,
    );
    // Nothing changed, on the unit or in Neutron: the preflight's gates come before the rule.
    assert.deepEqual(await snapshot(lab), before);
  });

  it("records the rollback's consequences and the clusters affected for the destroy preview", async () => {
    const r = await engine.up(lab.config());
    assert.equal(String(r.outputs.compatibility), "CAPI v1.13.2, CAPO v0.14.4, ORC v2.5.0");
    // The chart's half runs on each unit, in its preflight.
    const conductors = r.outputs.conductors as Record<string, { gates: string }>;
    assert.match(
      conductors["magnum/0"].gates,
      /chart index check \(openstack-cluster 0\.25\.1\): openstack-cluster 0\.25\.1 listed in http:\/\/127\.0\.0\.1:\d+\/index\.yaml/,
    );
    const onDestroy = String(r.outputs.onDestroy);
    assert.match(onDestroy, /pins magnum-capi-helm 1\.3\.0 on magnum\/0/);
    assert.match(onDestroy, /UNHEALTHY \("Infrastructure resource not found\."\)/);
    assert.match(onDestroy, /Clusters affected: prod-1 \([0-9a-f-]{36}, created /);
    const guard = [...engine.state.values()].find((e) => e.name === "day-two-destroy-guard");
    assert.ok(guard);
    assert.deepEqual(guard.outputs.clusters, [
      `magnum: ${/prod-1 \([^)]*\)/.exec(onDestroy)?.[0]}`,
      `capi: ${capiCluster.namespace}/${capiCluster.name}`,
    ]);
    // refresh takes the inventory again: a CAPI cluster that appeared is recorded.
    await lab.cloud.setCapiClusters([capiCluster, { namespace: `magnum-${PROJECT_ID}`, name: "new-9x" }]);
    assert.ok((await engine.refresh()).includes("day-two-destroy-guard"));
    const refreshed = [...engine.state.values()].find((e) => e.name === "day-two-destroy-guard");
    assert.ok((refreshed?.outputs.clusters as string[]).includes(`capi: magnum-${PROJECT_ID}/new-9x`));
  });

  it("refuses a remove while clusters exist, naming them, and changes nothing", async () => {
    const r = await engine.up(lab.config({ destroyMode: "remove" }));
    assert.ok(mutations(r.ops).includes("day-two-destroy-guard:update"));
    assert.match(String(r.outputs.onDestroy), /is refused while clusters exist/);
    const before = await snapshot(lab);
    assert.equal(before.driver, "1.4.0");
    await assert.rejects(
      engine.destroy(),
      (e: Error) =>
        e.message.startsWith(
          "destroy guard: expected no clusters on the CAPI driver before removing it from magnum/0",
        ) &&
        e.message.includes("magnum: prod-1 (") &&
        e.message.includes(`capi: ${capiCluster.namespace}/${capiCluster.name}`) &&
        e.message.includes("Nothing was changed") &&
        e.message.includes("allowRemoveWithClusters true"),
    );
    assert.deepEqual(await snapshot(lab), before, "driver, files, daemon and rule unchanged");
    assert.ok(engine.state.size > 0, "state kept: the destroy can run again");
  });

  it("removes anyway with allowRemoveWithClusters, once up recorded it", async () => {
    const r = await engine.up(lab.config({ destroyMode: "remove", allowRemoveWithClusters: true }));
    assert.deepEqual(mutations(r.ops), ["day-two-destroy-guard:update"]);
    assert.match(String(r.outputs.onDestroy), /become unmanageable from Magnum/);
    await engine.destroy();
    assert.equal((await snapshot(lab)).driver, "", "driver uninstalled");
    assert.equal(await onUnit(lab.units[0], "systemctl is-active magnum-conductor"), "active");
    assert.equal((await lab.cloud.rules("capi-mgmt-sg")).length, 2, "the rule it created is gone");
  });
});
