import { strict as assert } from "assert";
import { runtime } from "@pulumi/pulumi";
import * as fs from "fs";
import { KubeApiServer, kubeUnavailable, startKubeApiServer } from "../kube/apiserver";
import { assertGrafted, assertRemoved, assertRolledBack, onUnit, PreGraft, sha } from "../sim/gates";
import { Lab } from "../sim/lab";
import { CliResult, CliStack } from "./cli";

// The program under the REAL Pulumi engine: `pulumi preview/up/refresh/destroy` as subprocesses
// of the CLI built by toolchain/build.sh, a file backend, the passphrase secrets provider, the real
// Pulumi.yaml and a test stack file, against the simulated units and stub cloud of test/sim, with a
// REAL kube-apiserver (test/kube/apiserver.ts: HTTPS, RBAC) as the management cluster. The
// dynamic-provider host is the SDK's own and the kubernetes plugin the real pulumi-kubernetes provider
// (4.25.0, the one release the Go module proxy here serves); the language host and the openstack and
// command plugins are stand-ins (test/cli/programHost.ts, test/cli/standins/: the proxy refuses them).

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.output}`);
  return r;
}

const unitCalls = async (lab: Lab, since: number) =>
  (await lab.juju.calls()).filter((c) => c.start >= since).length;

/** The management cluster for one describe block; the tier skips (CI: fails) without the binaries. */
async function realApiServer(ctx: Mocha.Context): Promise<KubeApiServer> {
  const missing = kubeUnavailable("real-CLI tier");
  if (missing) {
    console.log(`    real-CLI tier skipped: ${missing}`);
    ctx.skip();
  }
  return startKubeApiServer();
}

/** Whether the Cluster CRD serves v1beta1 (CAPI v1.13 serves it beside the stored v1beta2). */
async function serveClusterV1beta1(kube: KubeApiServer, served: boolean): Promise<void> {
  const path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusters.cluster.x-k8s.io";
  const crd = (await kube.admin.ok("GET", path)).body;
  for (const v of crd.spec.versions as Array<{ name: string; served: boolean }>)
    if (v.name === "v1beta1") v.served = served;
  await kube.admin.ok("PUT", path, { body: crd });
}

describe("the real pulumi CLI against a simulated conductor", function () {
  this.timeout(900_000);

  describe("fresh graft, no-op preview, secrets, drift, rollback", () => {
    let kube: KubeApiServer;
    let lab: Lab;
    let cli: CliStack;
    let original: PreGraft;

    before(async function () {
      kube = await realApiServer(this);
      lab = await Lab.start({
        units: [{ etcDefault: "# site tuning kept by the graft\nexport OS_DEBUG=0\n" }],
        kube,
      });
      cli = await CliStack.create();
      cli.setConfig(lab.config());
      const u = lab.units[0];
      original = {
        etcDefault: await u.readFile("/etc/default/magnum-conductor"),
        magnumConf: await u.readFile("/etc/magnum/magnum.conf"),
      };
    });
    after(async () => {
      cli?.remove();
      await lab?.stop();
      await kube?.stop();
    });

    it("`pulumi up` grafts the unit: every runbook gate holds on it, outputs per conductor", async () => {
      const up = ok(await cli.run(["up", "--yes"]), "pulumi up");
      // The kubernetes plugin is the real provider, 4.25.0, registered as the 4.34.2 the SDK asks for
      // (toolchain/build.sh): the engine loads it and says which version it got.
      assert.match(
        up.output,
        /resource plugin kubernetes is expected to have version >=4\.34\.2, but has 4\.25\.0/,
      );
      await assertGrafted(lab, lab.units[0]);
      const outputs = await cli.outputs();
      const out = outputs.conductors as Record<string, Record<string, unknown>>;
      // The versions of the real apiserver's controller Deployments (the stub's differ).
      assert.equal(outputs.compatibility, "CAPI v1.13.0, CAPO v0.14.0, ORC v2.5.1");
      assert.deepEqual(
        { v: out["magnum/0"].driverVersion, d: out["magnum/0"].drivers, c: out["magnum/0"].configDirLive },
        { v: "1.4.0", d: "k8s_capi_helm_v1", c: true },
      );
      // What each gate saw, in the order the steps ran them.
      assert.match(
        String(out["magnum/0"].gates),
        /^preflight: trust domain by .*; egress check: .*; chart index check \(openstack-cluster 0\.25\.1\): .*; TCP gate to .*: TCP-OK .*; auth proof \(rights, helm list -A\): rights: \d+ held; releases: /,
      );
      const port = Number(new URL(kube.url).port);
      const rules = await lab.cloud.rules("capi-mgmt-sg");
      assert.ok(
        rules.some((x) => x.remote_ip_prefix === "10.12.4.76/32" && x.port_range_min === port),
        "the /32 rule to the apiserver's port is in Neutron",
      );
      const etc = String(await lab.units[0].readFile("/etc/default/magnum-conductor"));
      assert.ok(etc.startsWith(String(original.etcDefault)), "others' lines kept, block appended");
      // The unit's helm and auth proof reached the real apiserver over TLS with the kubeconfig's CA.
      const kubeconfig = fs.readFileSync(lab.kubeconfigPath, "utf8");
      assert.ok(
        kubeconfig.includes(`server: ${kube.url}\n`) && /certificate-authority-data: /.test(kubeconfig),
      );
      assert.match(
        String(out["magnum/0"].gates),
        /releases: cert-manager cluster-api-addon-provider cluster-api-janitor-openstack(;|$)/,
      );
    });

    it("`pulumi preview --expect-no-changes` succeeds with zero calls to the units", async () => {
      const since = Date.now();
      ok(await cli.run(["preview", "--expect-no-changes"]), "pulumi preview --expect-no-changes");
      assert.equal(await unitCalls(lab, since), 0, "no juju call at all");
    });

    it("a second `pulumi up` changes nothing: same daemon, zero calls to the units", async () => {
      const pid = await lab.units[0].daemonPid();
      const since = Date.now();
      ok(await cli.run(["up", "--yes", "--expect-no-changes"]), "pulumi up --expect-no-changes");
      assert.equal(await unitCalls(lab, since), 0, "no juju call at all");
      assert.equal(await lab.units[0].daemonPid(), pid);
    });

    it("`pulumi preview` sees a CRD's served versions changed on the real apiserver", async () => {
      await serveClusterV1beta1(kube, false);
      try {
        const since = Date.now();
        const r = ok(await cli.run(["preview", "--diff"]), "pulumi preview --diff");
        assert.equal(await unitCalls(lab, since), 0, "preview made no juju call");
        // The derived api_resources now names the version the CRD still serves.
        assert.match(r.output, /RemoteFile: \(update\)\n[^\n]*\n\s*\[urn=[^\]]*::magnum-0-config-drop-in\]/);
        assert.match(
          r.output,
          /- api_resources = \{\}\n\s*\+ api_resources = \{"Cluster":\{"api_version":"cluster\.x-k8s\.io\/v1beta2"\}\}\n/,
        );
      } finally {
        await serveClusterV1beta1(kube, true);
      }
    });

    it("`pulumi preview` of a config change shows the updates and touches no unit", async () => {
      cli.setConfig(lab.config({ chartVersion: "0.25.2" }));
      const since = Date.now();
      try {
        const r = ok(await cli.run(["preview"]), "pulumi preview");
        // The steps whose gates guard the chart version rerun them (in place, changing nothing else),
        // and the restart follows the drop-in (its trigger is the drop-in's change, unknown until up).
        const updated = [...r.stdout.matchAll(/^\s*~ .*\s(magnum-0-[a-z-]+)\s+update/gm)].map((m) => m[1]);
        assert.deepEqual([...new Set(updated)].sort(), [
          "magnum-0-access-kubeconfig",
          "magnum-0-config-drop-in",
          "magnum-0-install-driver",
          "magnum-0-preflight-gates",
          "magnum-0-service-restart",
        ]);
        assert.equal(await unitCalls(lab, since), 0, "preview made no juju call");
        assert.match(
          String(await lab.units[0].readFile("/etc/magnum/magnum.conf.d/00-capi-helm.conf")),
          /0\.25\.1/,
        );
      } finally {
        cli.setConfig(lab.config());
      }
    });

    it("`pulumi stack export` holds the kubeconfig and its hash only as ciphertext", async () => {
      const kubeconfig = fs.readFileSync(lab.kubeconfigPath, "utf8");
      const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? "";
      assert.ok(token.length > 8);
      const state = await cli.exportState();
      for (const plain of [token, sha(kubeconfig), JSON.stringify(kubeconfig).slice(1, -1)]) {
        assert.ok(!state.includes(plain), "plaintext secret in the exported state");
      }
      type Entry = { urn: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> };
      const resources = (JSON.parse(state) as { deployment: { resources: Entry[] } }).deployment.resources;
      const byName = (name: string) => {
        const r = resources.find((x) => x.urn.endsWith(`::${name}`));
        assert.ok(r, `${name} is in state`);
        return r;
      };
      const file = byName("magnum-0-access-kubeconfig");
      const provider = byName("mgmt-k8s");
      for (const [what, v] of [
        ["RemoteFile content", file.inputs.content],
        ["RemoteFile sha256", file.outputs.sha256],
        ["kubernetes provider kubeconfig", provider.inputs.kubeconfig],
      ] as const) {
        const sealed = v as Record<string, unknown> | undefined;
        // How `pulumi stack export` marks a secure value (its plaintext replaced by `ciphertext`).
        assert.equal(sealed?.[runtime.specialSigKey], runtime.specialSecretSig, `${what} is a secure value`);
        assert.equal(typeof sealed?.ciphertext, "string", `${what} is ciphertext`);
      }
    });

    it("`pulumi refresh --preview-only` sees a charm rewrite of /etc/default; `up --refresh` repairs it", async () => {
      const u = lab.units[0];
      await u.writeFile("/etc/default/magnum-conductor", "# rewritten by a hook\n");
      const seen = ok(await cli.run(["refresh", "--preview-only"]), "pulumi refresh --preview-only");
      assert.match(seen.stdout, /~ .*magnum-0-config-daemon-args\s+update/);
      assert.equal(String(await u.readFile("/etc/default/magnum-conductor")), "# rewritten by a hook\n");
      const pid = await u.daemonPid();
      ok(await cli.run(["up", "--refresh", "--yes"]), "pulumi up --refresh");
      await assertGrafted(lab, u);
      assert.ok(
        String(await u.readFile("/etc/default/magnum-conductor")).startsWith("# rewritten by a hook\n"),
      );
      assert.notEqual(await u.daemonPid(), pid, "restarted onto the repaired arguments");
    });

    it("`pulumi destroy` rolls back: 1.3.0 pinned, pre-graft files byte-exact, active", async () => {
      ok(await cli.run(["destroy", "--yes"]), "pulumi destroy");
      await assertRolledBack(lab, lab.units[0], original);
    });

    it("printed neither the kubeconfig nor the trustee password in any CLI run", async () => {
      const token = /token: (\S+)/.exec(fs.readFileSync(lab.kubeconfigPath, "utf8"))?.[1] ?? "";
      const password = /trustee_domain_admin_password = (\S+)/.exec(String(original.magnumConf))?.[1] ?? "";
      assert.ok(token.length > 8 && password.length > 4);
      const printed = cli.transcript.join("\n");
      assert.ok(cli.transcript.length >= 6, "every run is in the transcript");
      for (const secret of [token, password])
        assert.ok(!printed.includes(secret), "a secret in the CLI output");
    });
  });

  describe("bad config, a failing gate, remove mode", () => {
    let kube: KubeApiServer;
    let lab: Lab;
    let cli: CliStack;

    before(async function () {
      kube = await realApiServer(this);
      lab = await Lab.start({ units: [{}], kube });
      cli = await CliStack.create();
    });
    after(async () => {
      cli?.remove();
      await lab?.stop();
      await kube?.stop();
    });

    it("a bad config value fails naming key, value and expectation, before any call to a unit", async () => {
      cli.setConfig(lab.config({ destroyMode: "purge" }));
      const since = Date.now();
      const r = await cli.run(["up", "--yes"]);
      assert.notEqual(r.code, 0);
      assert.match(r.output, /magnum-capi-graft:destroyMode: expected rollback or remove; saw "purge"/);
      assert.equal(await unitCalls(lab, since), 0);
    });

    it("CAPO unavailable on the real apiserver fails `pulumi up` naming it, before any call to a unit", async () => {
      cli.setConfig(lab.config());
      await kube.setCapoAvailable(false);
      try {
        const since = Date.now();
        const r = await cli.run(["up", "--yes"]);
        assert.notEqual(r.code, 0);
        assert.match(
          r.output,
          /management cluster: expected deployment capo-system\/capo-controller-manager Available=True; saw False \(MinimumReplicasUnavailable test: CAPO False\)/,
        );
        assert.equal(await unitCalls(lab, since), 0);
      } finally {
        await kube.setCapoAvailable(true);
      }
    });

    it("a failing gate stops before any change; `up` after the fix converges", async () => {
      cli.setConfig(lab.config({ destroyMode: "remove", egressCheckUrls: ["http://127.0.0.1:9/simple/"] }));
      const r = await cli.run(["up", "--yes"]);
      assert.notEqual(r.code, 0);
      assert.match(
        r.output,
        /egress check on magnum\/0: expected an HTTP answer from every egress URL; saw http:\/\/127\.0\.0\.1:9\/simple\/:000/,
      );
      assert.equal(
        await onUnit(lab.units[0], "test -e /etc/magnum/kubeconfig && echo present || echo absent"),
        "absent",
      );
      assert.equal((await lab.cloud.rules("capi-mgmt-sg")).length, 2, "no rule added");
      cli.setConfig(lab.config({ destroyMode: "remove" }));
      ok(await cli.run(["up", "--yes"]), "pulumi up after the fix");
      await assertGrafted(lab, lab.units[0]);
    });

    it("`pulumi destroy` in remove mode undoes everything and deletes the rule", async () => {
      ok(await cli.run(["destroy", "--yes"]), "pulumi destroy");
      await assertRemoved(lab, lab.units[0]);
    });
  });
});
