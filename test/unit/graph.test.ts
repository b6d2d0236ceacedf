import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GateSpec } from "../../providers/gates";
import { runLocalCommand } from "../harness/command";
import { Registration, runProgram } from "../harness/program";

// The resource graph of the real program under runtime.setMocks. Native resources execute nothing;
// @pulumi/command commands run for real, against a scripted `openstack` on PATH.

const PROJECT = "674171fd28d446d3a37073b6a761e910";
const TOKEN = "kc-SECRET-TOKEN-6f1d";
const V1BETA1 = [{ name: "v1beta1", served: true, storage: true }];
const ALL_V1BETA1: Record<string, { name: string; served: boolean; storage: boolean }[]> = {
  "clusters.cluster.x-k8s.io": V1BETA1,
  "machinedeployments.cluster.x-k8s.io": V1BETA1,
  "machines.cluster.x-k8s.io": V1BETA1,
  "openstackclusters.infrastructure.cluster.x-k8s.io": V1BETA1,
  "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io": V1BETA1,
  "manifests.addons.stackhpc.com": [{ name: "v1alpha1", served: true, storage: true }],
  "helmreleases.addons.stackhpc.com": [{ name: "v1alpha1", served: true, storage: true }],
  "images.openstack.k-orc.cloud": [{ name: "v1alpha1", served: true, storage: true }],
};

/** The controllers chart 0.25.1 was tested with. */
const CONTROLLER_IMAGES: Record<string, string> = {
  "capi-system/capi-controller-manager": "registry.k8s.io/cluster-api/cluster-api-controller:v1.13.2",
  "capo-system/capo-controller-manager": "registry.k8s.io/capi-openstack/capi-openstack-controller:v0.14.4",
  "orc-system/orc-controller-manager": "quay.io/orc/openstack-resource-controller:v2.5.0",
};

interface World {
  served: typeof ALL_V1BETA1;
  capoAvailable: boolean;
  rules: unknown[];
}

let dir: string;
let savedPath: string | undefined;

function fakeOpenstack(world: World): void {
  fs.writeFileSync(path.join(dir, "rules.json"), JSON.stringify(world.rules));
  const script = `#!/bin/bash
echo "$* OS_PROJECT_ID=\${OS_PROJECT_ID:-} OS_PROJECT_NAME=\${OS_PROJECT_NAME:-unset}" >> ${dir}/openstack.log
case "$1 $2 $3 $4" in
  "security group rule list") cat ${dir}/rules.json ;;
  "security group rule show") jq -c --arg id "$5" '.[] | select(.ID == $id) | {id: .ID, description: (.Description // "")}' ${dir}/rules.json ;;
  "coe cluster show "*) echo HEALTHY ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;
  fs.writeFileSync(path.join(dir, "bin", "openstack"), script, { mode: 0o755 });
}

function handlers(world: World) {
  return {
    async newResource(r: Registration) {
      if (r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition") {
        const versions = world.served[r.id ?? ""];
        if (!versions) throw new Error(`customresourcedefinitions ${r.id} not found`);
        return { id: r.id ?? "", state: { metadata: { name: r.id }, spec: { versions } } };
      }
      if (r.type === "kubernetes:apps/v1:Deployment") {
        const status = world.capoAvailable ? "True" : "False";
        const image = CONTROLLER_IMAGES[r.id ?? ""];
        if (!image) throw new Error(`deployments ${r.id} not found`);
        const spec = { template: { spec: { containers: [{ name: "manager", image }] } } };
        return { id: r.id ?? "", state: { spec, status: { conditions: [{ type: "Available", status }] } } };
      }
      if (r.type === "command:local:Command") {
        const out = await runLocalCommand(r.inputs, String(r.inputs.create));
        return { id: r.name, state: { ...r.inputs, ...out } };
      }
      if (r.type.startsWith("pulumi-nodejs:dynamic")) {
        const live = {
          sha256: "0".repeat(64),
          liveBlockSha: "1".repeat(64),
          installedVersion: r.inputs.version,
          liveVersion: r.inputs.version,
          drivers: "k8s_capi_helm_v1",
          configDirLive: "1",
          pid: "4242",
        };
        return { id: `${r.name}-id`, state: { ...r.inputs, ...live } };
      }
      return { id: r.id ?? `${r.name}-id`, state: r.inputs };
    },
    async call(token: string, inputs: Record<string, unknown>) {
      if (token === "openstack:networking/getSecGroup:getSecGroup")
        return { id: "sg-0001", name: inputs.name };
      if (token === "command:local:run") return runLocalCommand(inputs, String(inputs.command));
      throw new Error(`unexpected invoke ${token}`);
    },
  };
}

function baseConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    conductors: [
      { unit: "magnum/0", address: "10.12.4.76" },
      { unit: "magnum/1", address: "10.12.4.77" },
    ],
    mgmtProjectId: PROJECT,
    mgmtApiHost: "10.12.7.40",
    mgmtKubeconfigPath: path.join(dir, "capi-mgmt.kubeconfig"),
    ...extra,
  };
}

function world(extra: Partial<World> = {}): World {
  return { served: ALL_V1BETA1, capoAvailable: true, rules: [], ...extra };
}

async function run(w: World, config = baseConfig()) {
  fakeOpenstack(w);
  return runProgram(config, handlers(w), { preview: false });
}

const byName = (regs: Registration[], name: string): Registration => {
  const r = regs.find((x) => x.name === name);
  assert.ok(r, `expected a resource named ${name}; have ${regs.map((x) => x.name).join(", ")}`);
  return r;
};

describe("resource graph under mocks", function () {
  this.timeout(60_000);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "graft-graph-"));
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(
      path.join(dir, "capi-mgmt.kubeconfig"),
      `apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.12.7.40:6443\n  name: m\n` +
        "contexts:\n- context:\n    cluster: m\n    user: a\n  name: a@m\ncurrent-context: a@m\n" +
        `users:\n- name: a\n  user:\n    token: ${TOKEN}\n`,
    );
    savedPath = process.env.PATH;
    process.env.PATH = `${path.join(dir, "bin")}:${savedPath}`;
    process.env.OS_PROJECT_NAME = "admin";
  });
  after(() => {
    process.env.PATH = savedPath;
    delete process.env.OS_PROJECT_NAME;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("builds every runbook step per conductor, each waiting on the one before", async () => {
    const { registrations: regs } = await run(world());
    for (const unit of ["magnum-0", "magnum-1"]) {
      const urn = (n: string) => byName(regs, `${unit}-${n}`).urn;
      const deps = (n: string) => byName(regs, `${unit}-${n}`).deps;
      const chain: [string, string[]][] = [
        ["preflight-gates", ["preflight-restart-after-destroy"]],
        ["access-rule", ["preflight-gates"]],
        ["access-kubeconfig", ["preflight-gates", "access-rule"]],
        ["access-helm", ["access-kubeconfig"]],
        ["install-driver", ["access-helm"]],
        ["config-drop-in", ["install-driver"]],
        ["config-daemon-args", ["config-drop-in"]],
        ["service-restart", ["config-daemon-args"]],
      ];
      for (const [name, before] of chain) {
        for (const b of before)
          assert.ok(deps(name).includes(urn(b)), `${unit}-${name} must depend on ${unit}-${b}`);
      }
      // The first gates run before the Neutron rule; the others inside the step they guard.
      const kinds = (n: string) =>
        (byName(regs, `${unit}-${n}`).inputs.gates as GateSpec[]).map((g) => g.kind);
      assert.deepEqual(kinds("preflight-gates"), ["preflight", "egress", "chartIndex"]);
      assert.deepEqual(kinds("access-kubeconfig"), ["tcp"]);
      assert.equal(byName(regs, `${unit}-access-helm`).inputs.gates, undefined);
      assert.deepEqual(kinds("install-driver"), ["helmAuth"]);
      const [preflight] = byName(regs, `${unit}-preflight-gates`).inputs.gates as GateSpec[];
      assert.deepEqual(preflight, {
        kind: "preflight",
        address: unit === "magnum-0" ? "10.12.4.76" : "10.12.4.77",
        magnumConf: "/etc/magnum/magnum.conf",
        driver: "magnum-capi-helm 1.4.0",
        pythonFloor: "3.10",
      });
      assert.equal(byName(regs, `${unit}-access-kubeconfig`).inputs.unit, unit.replace("-", "/"));
    }
    assert.deepEqual(
      regs.filter((r) => r.type.endsWith(":UnitGates")).map((r) => r.name),
      ["magnum-0-preflight-gates", "magnum-1-preflight-gates"],
      "the only gates on their own are each unit's first",
    );
  });

  it("keeps the kubeconfig secret: secret input, secret hash, nowhere in plaintext", async () => {
    const { registrations: regs } = await run(world());
    const kc = byName(regs, "magnum-0-access-kubeconfig");
    assert.ok(kc.secretInputs.includes("content"));
    assert.ok(kc.additionalSecretOutputs.includes("sha256"));
    assert.ok(byName(regs, "mgmt-k8s").secretInputs.includes("kubeconfig"));
    for (const r of regs) {
      for (const [k, v] of Object.entries(r.inputs)) {
        if (r.secretInputs.includes(k)) continue;
        assert.ok(
          !JSON.stringify(v ?? "").includes(TOKEN),
          `${r.name}.${k} carries the kubeconfig in plaintext`,
        );
      }
    }
  });

  it("puts the compatibility gate before every unit and the destroy guard after every unit", async () => {
    const { registrations: regs } = await run(world());
    const versions = byName(regs, "compatibility-capi");
    const guard = byName(regs, "day-two-destroy-guard");
    assert.ok(
      guard.secretInputs.includes("kubeconfig") && guard.additionalSecretOutputs.includes("kubeconfig"),
    );
    for (const unit of ["magnum-0", "magnum-1"]) {
      const gates = byName(regs, `${unit}-preflight-gates`);
      assert.ok(gates.deps.includes(versions.urn), `${unit} waits on the controller versions`);
      assert.deepEqual(
        (gates.inputs.gates as GateSpec[]).find((g) => g.kind === "chartIndex"),
        {
          kind: "chartIndex",
          repo: "https://azimuth-cloud.github.io/capi-helm-charts",
          chart: "openstack-cluster",
          version: "0.25.1",
        },
      );
      assert.ok(guard.deps.includes(byName(regs, `${unit}-service-restart`).urn), `guard after ${unit}`);
    }
  });

  it("rolls the restarts in the order of conductors by dependsOn", async () => {
    const { registrations: regs } = await run(world());
    for (const name of ["service-restart", "preflight-restart-after-destroy"]) {
      const [first, second] = [byName(regs, `magnum-0-${name}`), byName(regs, `magnum-1-${name}`)];
      assert.ok(second.deps.includes(first.urn), `magnum-1-${name} waits on magnum-0's`);
      assert.ok(!first.deps.includes(second.urn));
    }
    assert.deepEqual(byName(regs, "magnum-0-service-restart").inputs.rollAfter, ["magnum/1"]);
    assert.deepEqual(byName(regs, "magnum-1-service-restart").inputs.rollAfter, []);
  });

  it("creates the missing /32 rule, kept by a rollback destroy and not by remove", async () => {
    const rollback = await run(world());
    const rule = byName(rollback.registrations, "magnum-0-access-rule");
    assert.equal(rule.kind, "register");
    assert.equal(rule.inputs.remoteIpPrefix, "10.12.4.76/32");
    assert.equal(rule.inputs.portRangeMin, 6443);
    assert.equal(rule.inputs.securityGroupId, "sg-0001");
    assert.equal(rule.retainOnDelete, true);
    const remove = await run(world(), baseConfig({ destroyMode: "remove" }));
    assert.equal(byName(remove.registrations, "magnum-0-access-rule").retainOnDelete, false);
    const guards = (run: typeof rollback) =>
      byName(run.registrations, "magnum-0-access-kubeconfig").inputs.guards;
    assert.equal(guards(remove), guards(rollback), "changing destroyMode reruns no gate");
  });

  it("adopts an identical rule by reference and warns about a wide one", async () => {
    const rules = [
      {
        ID: "r-same",
        "IP Protocol": "tcp",
        Ethertype: "IPv4",
        "IP Range": "10.12.4.76/32",
        "Port Range": "6443:6443",
      },
      {
        ID: "r-wide",
        "IP Protocol": "tcp",
        Ethertype: "IPv4",
        "IP Range": "0.0.0.0/0",
        "Port Range": "6443:6443",
      },
    ];
    const { registrations: regs, warnings } = await run(world({ rules }));
    const adopted = byName(regs, "magnum-0-access-rule");
    assert.equal(adopted.kind, "read");
    assert.equal(adopted.id, "r-same");
    assert.equal(byName(regs, "magnum-1-access-rule").kind, "register");
    assert.ok(
      warnings.some((w) => w.includes("r-wide") && w.includes("magnum/1") && w.includes("tightened")),
    );
  });

  it("keeps managing its own rule (by description) instead of adopting it", async () => {
    const rules = [
      {
        ID: "r-ours",
        "IP Protocol": "tcp",
        Ethertype: "IPv4",
        "IP Range": "10.12.4.76/32",
        "Port Range": "6443:6443",
        Description: "magnum-capi-graft: magnum/0 to the management apiserver",
      },
    ];
    const own = byName((await run(world({ rules }))).registrations, "magnum-0-access-rule");
    assert.equal(own.kind, "register");
    assert.equal(own.importId, "r-ours");
  });

  it("scopes every openstack CLI call to the capi-mgmt project", async () => {
    fs.rmSync(path.join(dir, "openstack.log"), { force: true });
    await run(world(), baseConfig({ healthCheckCluster: "capi-test-1", healthPollIntervalSeconds: 1 }));
    const log = fs.readFileSync(path.join(dir, "openstack.log"), "utf8").trim().split("\n");
    assert.ok(log.length >= 2);
    for (const line of log) assert.ok(line.endsWith(`OS_PROJECT_ID=${PROJECT} OS_PROJECT_NAME=unset`), line);
  });

  it("reports health HEALTHY when polled, deferred on a fresh deploy", async () => {
    const polled = await run(world(), baseConfig({ healthCheckCluster: "capi-test-1" }));
    const health = byName(polled.registrations, "acceptance-health");
    assert.ok(String(health.inputs.create).includes("coe cluster show"));
    const out = polled.outputs.conductors as Record<string, Record<string, unknown>>;
    assert.equal(out["magnum/0"].health, "HEALTHY");
    assert.equal(out["magnum/0"].driverVersion, "1.4.0");
    const fresh = await run(world());
    assert.ok(!fresh.registrations.some((r) => r.name === "acceptance-health"));
    const freshOut = fresh.outputs.conductors as Record<string, Record<string, unknown>>;
    assert.match(String(freshOut["magnum/1"].health), /^deferred/);
  });

  describe("api_resources derived from served versions", () => {
    const dropIn = async (served: typeof ALL_V1BETA1) => {
      const { registrations } = await run(world({ served }));
      const line = String(byName(registrations, "magnum-0-config-drop-in").inputs.content)
        .split("\n")
        .find((l) => l.startsWith("api_resources = "));
      return JSON.parse(String(line).slice("api_resources = ".length));
    };

    it("is {} when v1beta1 is served for every kind", async () => {
      assert.deepEqual(await dropIn(ALL_V1BETA1), {});
    });

    it("is {} when a group prefers v1beta2 but still serves v1beta1", async () => {
      const both = [
        { name: "v1beta1", served: true, storage: false },
        { name: "v1beta2", served: true, storage: true },
      ];
      assert.deepEqual(await dropIn({ ...ALL_V1BETA1, "clusters.cluster.x-k8s.io": both }), {});
    });

    it("names a served version for a kind whose v1beta1 is no longer served", async () => {
      const onlyV2 = [
        { name: "v1beta1", served: false, storage: false },
        { name: "v1beta2", served: true, storage: true },
      ];
      const map = await dropIn({
        ...ALL_V1BETA1,
        "clusters.cluster.x-k8s.io": onlyV2,
        "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io": onlyV2,
      });
      assert.deepEqual(map, {
        Cluster: { api_version: "cluster.x-k8s.io/v1beta2" },
        K8sControlPlane: {
          api_version: "controlplane.cluster.x-k8s.io/v1beta2",
          plural_name: "kubeadmcontrolplanes",
        },
      });
    });

    it("refuses to derive from a served version name Kubernetes would not allow", async () => {
      const odd = [{ name: "v1$(x)", served: true, storage: true }];
      await assert.rejects(
        dropIn({ ...ALL_V1BETA1, "clusters.cluster.x-k8s.io": odd }),
        /CRD clusters\.cluster\.x-k8s\.io to serve a version named like v1beta2; it serves "v1\$\(x\)"/,
      );
    });

    it("refuses an explicit map naming a version the cluster does not serve", async () => {
      const config = baseConfig({
        apiResources: JSON.stringify({ Cluster: { api_version: "cluster.x-k8s.io/v1beta2" } }),
      });
      await assert.rejects(run(world(), config), /apiResources: Cluster names cluster\.x-k8s\.io\/v1beta2/);
    });
  });

  it("stops before any unit step when the CAPI stack is down", async () => {
    fakeOpenstack(world({ capoAvailable: false }));
    const seen: string[] = [];
    const h = handlers(world({ capoAvailable: false }));
    await assert.rejects(
      runProgram(
        baseConfig(),
        {
          ...h,
          newResource: (r) => {
            seen.push(r.type);
            return h.newResource(r);
          },
        },
        { preview: false },
      ),
      /capo-controller-manager Available=True/,
    );
    assert.ok(!seen.some((t) => t.startsWith("pulumi-nodejs:dynamic")), `unit steps ran: ${seen.join(", ")}`);
  });
});
