import { RemoteScriptProvider } from "../../providers/kernel";
import assert from "assert/strict";
import { chmodSync, existsSync, writeFileSync } from "fs";
import { createServer, Server } from "net";
import { join } from "path";
import { sha256 } from "../../providers/diffing";
import { connectionError, isGateError } from "../../providers/errors";
import { GateSpec } from "../../providers/gates";
import { gateKind } from "../../providers/gates/kinds";
import { parseResults } from "../../providers/remote";
import { RemoteFileInputs, RemoteFileOutputs, REMOTE_FILE } from "../../providers/remoteFile";
import {
  FakeTransport,
  ok,
  parseErrors,
  Reply,
  runLocally,
  scriptOf,
  tempDirPerTest,
  UNIT,
  UNKNOWN,
  JUJU,
  noIo,
  valueOf,
} from "./harness";

// Gates run inside the script of the step they guard. The step here is a RemoteFile (the kubeconfig
// carries the unit's first gates); what is asserted is the kernel's, for every gated step.

const GATES: Record<GateSpec["kind"], GateSpec> = {
  preflight: { kind: "preflight", address: "10.0.0.5", magnumConf: "/etc/magnum/magnum.conf" },
  tcp: { kind: "tcp", host: "10.0.0.9", port: 6443 },
  egress: { kind: "egress", urls: ["https://get.helm.sh/", "https://pypi.org/simple/"] },
  helmAuth: {
    kind: "helmAuth",
    kubeconfigPath: "/etc/magnum/kubeconfig",
    service: "magnum-conductor",
    expectedReleases: ["cilium", "cluster-api-addon-provider"],
  },
  chartIndex: {
    kind: "chartIndex",
    repo: "https://azimuth-cloud.github.io/capi-helm-charts",
    chart: "openstack-cluster",
    version: "0.25.1",
  },
};

const OCI_CHART: GateSpec = {
  kind: "chartIndex",
  repo: "",
  chart: "oci://registry.example:5000/capi/openstack-cluster",
  version: "0.25.1",
};

const CONTENT = "apiVersion: v1\n";

const file: RemoteFileInputs = {
  transport: JUJU,
  unit: UNIT,
  path: "/etc/magnum/kubeconfig",
  content: CONTENT,
  mode: "0600",
  owner: "root",
  ownerFromService: "",
  asciiOnly: false,
  restartOnChange: true,
  destroyMode: "rollback",
  gates: [GATES.tcp],
  guards: "sg-rule-1",
};

/** What the step's script reports of the file it measured. */
const measuredReply = (extra: Record<string, string>) =>
  ok({
    sha256: sha256(CONTENT),
    mode: "0600",
    owner: "root",
    expected_owner: "root",
    has_original: "0",
    ...extra,
  });

/** What the step's script reports when its gates held and it wrote the file. */
const written = (extra: Record<string, string> = {}) =>
  measuredReply({ "gate.tcp": "TCP-OK 10.0.0.9:6443", changed: "1", ...extra });

const { content: _content, ...stored } = file;
const recorded: RemoteFileOutputs = {
  ...stored,
  sha256: sha256(CONTENT),
  liveMode: "0600",
  liveOwner: "root",
  expectedOwner: "root",
  hasOriginal: "0",
  changedAt: "2026-11-28T00:00:00.000Z",
  gatesSeen: "TCP gate to 10.0.0.9:6443: TCP-OK 10.0.0.9:6443",
};

/** A transport where magnum/0 sits at `address` in juju status. */
function unitAt(address: string, reply: Reply = () => written()): FakeTransport {
  return new FakeTransport(reply, { [UNIT]: { address } });
}

/** The script a step sends with these gates, from a create that is allowed to fail. */
async function scriptFor(gates: GateSpec[], path = file.path): Promise<string> {
  const t = unitAt("10.0.0.5");
  await new RemoteScriptProvider(REMOTE_FILE, t.connect)
    .create({ ...file, path, gates })
    .catch(() => undefined);
  return scriptOf(t.calls[0]);
}

describe("gates inside the step they guard", () => {
  describe("check", () => {
    const p = new RemoteScriptProvider(REMOTE_FILE, noIo);

    for (const gate of [...Object.values(GATES), OCI_CHART]) {
      it(`passes a valid ${gate.kind} gate through${gate === OCI_CHART ? " (an OCI chart)" : ""}`, async () => {
        const news = { ...file, gates: [gate] };
        assert.deepEqual(await p.check(file, news), { inputs: news });
      });
    }

    for (const [name, gate] of [
      ["a hostile address", { ...GATES.preflight, address: "10.0.0.5; reboot" }],
      ["a conf path with spaces", { ...GATES.preflight, magnumConf: "/etc/my magnum.conf" }],
      ["a host with $(...)", { ...GATES.tcp, host: "$(reboot)" }],
      ["port 0", { ...GATES.tcp, port: 0 }],
      ["port 65536", { ...GATES.tcp, port: 65536 }],
      ["port 1.5", { ...GATES.tcp, port: 1.5 }],
      ["a URL with a space", { kind: "egress", urls: ["https://x.org/ reboot"] }],
      ["a hostile service", { ...GATES.helmAuth, service: "magnum;reboot" }],
      ["a hostile release", { ...GATES.helmAuth, expectedReleases: ["a'b"] }],
      ["an OCI chart with a repo", { ...OCI_CHART, repo: "https://charts.example.org/" }],
      ["a hostile OCI reference", { ...OCI_CHART, chart: "oci://registry.example/$(reboot)/x" }],
      ["an OCI reference with a tag", { ...OCI_CHART, chart: "oci://registry.example/openstack-cluster:1" }],
      ["a chart name without a repo", { ...GATES.chartIndex, repo: "" }],
    ] as const) {
      it(`reports ${name} as a failure`, async () => {
        const r = await p.check(file, { ...file, gates: [gate as GateSpec] });
        assert.equal(r.inputs, undefined);
        assert.equal(r.failures?.length, 1);
      });
    }
  });

  describe("diff", () => {
    const p = new RemoteScriptProvider(REMOTE_FILE, noIo);

    it("sees no change while gates and guards stay", async () => {
      assert.deepEqual(await p.diff("id", recorded, file), {
        changes: false,
        replaces: [],
        deleteBeforeReplace: true,
      });
    });

    for (const [name, news] of [
      ["the gates", { ...file, gates: [GATES.tcp, GATES.egress] }],
      ["the guards", { ...file, guards: "sg-rule-2" }],
      ["unknown guards", { ...file, guards: UNKNOWN }],
    ] as [string, RemoteFileInputs][]) {
      it(`reruns the step in place when ${name} changed`, async () => {
        const d = await p.diff("id", recorded, news);
        assert.equal(d.changes, true);
        assert.deepEqual(d.replaces, []);
      });
    }

    it("reruns a step whose state predates its gates", async () => {
      const { gates: _g, guards: _x, gatesSeen: _s, ...before } = recorded;
      assert.equal((await p.diff("id", before, file)).changes, true);
    });
  });

  describe("create and update", () => {
    it("runs the gates and the step in one call, and records what the gates saw", async () => {
      const t = unitAt("10.0.0.5");
      const r = await new RemoteScriptProvider(REMOTE_FILE, t.connect).create(file);
      assert.equal(t.calls.length, 1);
      assert.deepEqual(t.described, [], "no preflight, no juju status");
      assert.equal(r.outs?.gatesSeen, "TCP gate to 10.0.0.9:6443: TCP-OK 10.0.0.9:6443");
      const script = scriptOf(t.calls[0]);
      assert.ok(script.indexOf("TCP-OK to $host:$port") < script.indexOf('cat > "$tmp"'), "gate first");
    });

    it("reruns the gates in one call when only the guards changed, and keeps changedAt", async () => {
      const t = unitAt("10.0.0.5", () => written({ changed: "0" }));
      const r = await new RemoteScriptProvider(REMOTE_FILE, t.connect).update("id", recorded, {
        ...file,
        guards: "sg-rule-2",
      });
      assert.equal(t.calls.length, 1);
      assert.equal(r.outs?.guards, "sg-rule-2");
      assert.equal(r.outs?.changedAt, recorded.changedAt);
    });

    it("looks the unit up once before a preflight", async () => {
      const t = unitAt("10.0.0.5");
      await new RemoteScriptProvider(REMOTE_FILE, t.connect).create({
        ...file,
        gates: [GATES.preflight, GATES.tcp],
      });
      assert.deepEqual(t.described, [UNIT]);
      assert.equal(t.calls.length, 1);
    });

    for (const [name, t, expected] of [
      ["at another address", unitAt("10.0.0.6"), /expected public-address 10\.0\.0\.5 .*saw 10\.0\.0\.6/],
      ["missing", new FakeTransport(() => written()), /saw no such unit in juju status/],
    ] as const) {
      it(`changes nothing on a unit ${name}: the preflight fails before the script`, async () => {
        const p = new RemoteScriptProvider(REMOTE_FILE, t.connect);
        await assert.rejects(p.create({ ...file, gates: [GATES.preflight] }), (e: Error) => {
          assert.ok(isGateError(e));
          assert.match(e.message, expected);
          return true;
        });
        assert.equal(t.calls.length, 0);
      });
    }

    it("names the unit when juju status fails, and runs nothing", async () => {
      const t = new FakeTransport(() => written());
      t.describeUnit = async () => {
        throw new Error("juju status -m openstack failed with exit 1: ERROR controller unreachable");
      };
      await assert.rejects(
        new RemoteScriptProvider(REMOTE_FILE, t.connect).create({ ...file, gates: [GATES.preflight] }),
        /^Error: preflight on magnum\/0: juju status -m openstack failed .*Nothing was changed/,
      );
      assert.equal(t.calls.length, 0);
    });

    it("names the gate, not the step, when a gate fails", async () => {
      const t = unitAt("10.0.0.5", () => ({
        code: 3,
        stdout: "fail.step=TCP gate to 10.0.0.9:6443\nfail.expected=TCP-OK\nfail.seen=TCP-FAIL\n",
        stderr: "",
      }));
      await assert.rejects(new RemoteScriptProvider(REMOTE_FILE, t.connect).create(file), (e: Error) => {
        assert.ok(isGateError(e));
        assert.match(
          e.message,
          /^TCP gate to 10\.0\.0\.9:6443 on magnum\/0: expected TCP-OK; saw TCP-FAIL\./,
        );
        return true;
      });
    });

    it("reports a dropped connection as such", async () => {
      const t = unitAt("10.0.0.5", () => {
        throw connectionError("juju ssh failed with exit 255");
      });
      await assert.rejects(
        new RemoteScriptProvider(REMOTE_FILE, t.connect).create(file),
        /on magnum\/0: juju ssh failed/,
      );
    });

    it("sends scripts that parse for every kind of gate, and all of them at once", async () => {
      for (const gate of [...Object.values(GATES), OCI_CHART]) {
        assert.equal(parseErrors(await scriptFor([gate])), "", gate.kind);
      }
      assert.equal(parseErrors(await scriptFor(Object.values(GATES))), "");
    });

    it("keeps the helm auth inputs literal", async () => {
      // Cut before the gate's own lines (the whole script would stop inside the gate's subshell).
      const script = gateKind(GATES.helmAuth).script(GATES.helmAuth);
      assert.equal(valueOf(script, "user=", "svc"), "magnum-conductor");
      assert.equal(valueOf(script, "user=", "kc"), "/etc/magnum/kubeconfig");
    });
  });

  describe("refresh", () => {
    it("reruns the gates in the measuring call and records that they held", async () => {
      const t = unitAt("10.0.0.5", () =>
        measuredReply({ "gates.held": "1", "gate.tcp": "TCP-OK 10.0.0.9:6443" }),
      );
      const r = await new RemoteScriptProvider(REMOTE_FILE, t.connect).read("id", recorded);
      assert.equal(t.calls.length, 1);
      assert.deepEqual(r.props, { ...recorded, gatesHeld: "1" });
    });

    it("records a gate that no longer holds, still measures the step, and the next up reruns it", async () => {
      const t = unitAt("10.0.0.5", () =>
        measuredReply({
          "gates.held": "0",
          "fail.step": "TCP gate to 10.0.0.9:6443",
          "fail.expected": "TCP-OK to 10.0.0.9:6443",
          "fail.seen": "TCP-FAIL",
          sha256: "absent",
        }),
      );
      const p = new RemoteScriptProvider(REMOTE_FILE, t.connect);
      const r = await p.read("id", recorded);
      assert.equal(r.props?.gatesHeld, "0");
      assert.equal(
        r.props?.gatesSeen,
        "TCP gate to 10.0.0.9:6443: expected TCP-OK to 10.0.0.9:6443; saw TCP-FAIL",
      );
      assert.equal(r.props?.sha256, "absent", "the step was measured too");
      assert.equal((await p.diff("id", r.props as RemoteFileOutputs, file)).changes, true);
    });

    it("records a unit that left the model as a finding", async () => {
      const t = new FakeTransport(() => measuredReply({ "gates.held": "1", "gate.preflight": "trust" }));
      const r = await new RemoteScriptProvider(REMOTE_FILE, t.connect).read("id", {
        ...recorded,
        gates: [GATES.preflight],
      });
      assert.equal(r.props?.gatesHeld, "0");
      assert.match(String(r.props?.gatesSeen), /saw no such unit in juju status/);
      assert.equal(t.calls.length, 1, "the step is still measured");
    });
  });

  describe("the scripts, run here", () => {
    const tmp = tempDirPerTest();

    it("checks every egress URL, quotes and all", async () => {
      const urls = ["https://a.example.org/", `https://b.example.org/it's"$(reboot)"`];
      const curl = join(tmp(), "curl");
      writeFileSync(curl, `#!/bin/bash\nprintf 200\n`);
      chmodSync(curl, 0o755);
      const target = join(tmp(), "kubeconfig");
      const r = runLocally(await scriptFor([{ kind: "egress", urls }], target), tmp(), Buffer.from(CONTENT));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(parseResults(r.stdout)["gate.egress"], urls.map((u) => `${u}:200`).join(" "));
      assert.ok(existsSync(target), "the step ran after its gate");
    });

    for (const [name, conf, code, result] of [
      [
        "passes",
        "[trust]\ntrustee_domain_name = magnum\ntrustee_domain_admin_id = 42\ntrustee_domain_admin_password = s3cr3t\n",
        0,
        "trust domain by name, admin by id, password set",
      ],
      [
        "fails",
        "[trust]\ntrustee_domain_name = magnum\ntrustee_domain_admin_name = admin\ntrustee_domain_admin_password =\n",
        3,
        "it is empty or missing",
      ],
    ] as const) {
      it(`${name} the trust preflight, never printing the password`, async () => {
        const magnumConf = join(tmp(), "magnum.conf");
        writeFileSync(magnumConf, conf);
        const target = join(tmp(), "kubeconfig");
        const script = await scriptFor([{ ...GATES.preflight, magnumConf } as GateSpec], target);
        const r = runLocally(script, tmp(), Buffer.from(CONTENT));
        assert.equal(r.code, code, r.stderr);
        const results = parseResults(r.stdout);
        assert.equal(
          results["gate.preflight"] ?? results["fail.seen"],
          code === 0
            ? `${result}; identity CA not checked: no [keystone_authtoken] www_authenticate_uri in ${magnumConf}`
            : result,
        );
        assert.equal(existsSync(target), code === 0, "the step runs only after its gate held");
        if (code !== 0) assert.equal(results["fail.step"], "preflight");
        assert.doesNotMatch(r.stdout + r.stderr, /s3cr3t/);
      });
    }

    describe("the TCP gate", () => {
      let server: Server;
      let port = 0;
      before((done) => {
        server = createServer().listen(0, "127.0.0.1", () => {
          port = (server.address() as { port: number }).port;
          done();
        });
      });
      after((done) => void server.close(() => done()));

      it("fails on refresh without stopping the measure", async () => {
        const t = unitAt("10.0.0.5", () => ok({}));
        const path = join(tmp(), "kubeconfig");
        const closed: RemoteFileOutputs = {
          ...recorded,
          path,
          gates: [{ kind: "tcp", host: "127.0.0.1", port: 1 }],
        };
        await new RemoteScriptProvider(REMOTE_FILE, t.connect).read("id", closed).catch(() => undefined);
        const r = runLocally(scriptOf(t.calls[0]), tmp());
        assert.equal(r.code, 0, r.stderr);
        const results = parseResults(r.stdout);
        assert.equal(results["gates.held"], "0");
        assert.equal(results["fail.step"], "TCP gate to 127.0.0.1:1");
        assert.equal(results.sha256, "absent");
      });

      it("holds for an open port and fails for a closed one, leaving the step undone", async () => {
        const target = join(tmp(), "kubeconfig");
        const open = runLocally(
          await scriptFor([{ kind: "tcp", host: "127.0.0.1", port }], target),
          tmp(),
          Buffer.from(CONTENT),
        );
        assert.equal(open.code, 0, open.stderr);
        assert.equal(parseResults(open.stdout)["gate.tcp"], `TCP-OK 127.0.0.1:${port}`);
        const other = join(tmp(), "other");
        const closed = runLocally(
          await scriptFor([{ kind: "tcp", host: "127.0.0.1", port: 1 }], other),
          tmp(),
          Buffer.from(CONTENT),
        );
        assert.equal(closed.code, 3, closed.stderr);
        assert.match(parseResults(closed.stdout)["fail.seen"], /^TCP-FAIL/);
        assert.equal(parseResults(closed.stdout)["fail.step"], "TCP gate to 127.0.0.1:1");
        assert.equal(existsSync(other), false);
      });
    });
  });
});
