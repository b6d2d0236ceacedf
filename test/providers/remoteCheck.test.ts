import assert from "assert/strict";
import { chmodSync, writeFileSync } from "fs";
import { createServer, Server } from "net";
import { join } from "path";
import { isGateError } from "../../providers/errors";
import { parseResults } from "../../providers/remote";
import {
  CheckSpec,
  RemoteCheckInputs,
  RemoteCheckOutputs,
  RemoteCheckProvider,
} from "../../providers/remoteCheck";
import { connectionError } from "../../providers/errors";
import {
  FakeTransport,
  gateFailed,
  itReportsFailuresOf,
  JUJU,
  noIo,
  ok,
  parseErrors,
  Reply,
  runLocally,
  scriptOf,
  tempDirPerTest,
  UNIT,
  UNKNOWN,
  valueOf,
} from "./harness";

const CHECKS: Record<CheckSpec["kind"], CheckSpec> = {
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

const tcp: RemoteCheckInputs = { transport: JUJU, unit: UNIT, check: CHECKS.tcp, guards: "sg-rule-1" };
const preflight: RemoteCheckInputs = { ...tcp, check: CHECKS.preflight };
const passed: RemoteCheckOutputs = { ...tcp, passed: "1", seen: "TCP-OK 10.0.0.9:6443" };
const tcpOk = ok({ seen: "TCP-OK 10.0.0.9:6443" });

/** A transport where magnum/0 sits at `address` in juju status. */
function unitAt(address: string, reply: Reply = () => ok({ seen: "trust domain by name" })): FakeTransport {
  return new FakeTransport(reply, { [UNIT]: { address, machine: "3" } });
}

/** The script a check sends, from a create that is allowed to fail. */
async function scriptFor(check: CheckSpec): Promise<string> {
  const t = unitAt("10.0.0.5");
  await new RemoteCheckProvider(t.connect).create({ ...tcp, check });
  return scriptOf(t.calls[0]);
}

describe("RemoteCheckProvider", () => {
  describe("check", () => {
    const p = new RemoteCheckProvider(noIo);

    for (const check of Object.values(CHECKS)) {
      it(`passes a valid ${check.kind} check through`, async () => {
        const news = { ...tcp, check };
        assert.deepEqual(await p.check(tcp, news), { inputs: news });
      });
    }

    for (const [name, news] of [
      ["a hostile unit", { ...tcp, unit: "magnum/0; rm -rf /" }],
      ["a hostile address", { ...tcp, check: { ...CHECKS.preflight, address: "10.0.0.5; reboot" } }],
      [
        "a conf path with spaces",
        { ...tcp, check: { ...CHECKS.preflight, magnumConf: "/etc/my magnum.conf" } },
      ],
      ["a host with $(...)", { ...tcp, check: { ...CHECKS.tcp, host: "$(reboot)" } }],
      ["port 0", { ...tcp, check: { ...CHECKS.tcp, port: 0 } }],
      ["port 65536", { ...tcp, check: { ...CHECKS.tcp, port: 65536 } }],
      ["port 1.5", { ...tcp, check: { ...CHECKS.tcp, port: 1.5 } }],
      ["a URL with a space", { ...tcp, check: { kind: "egress", urls: ["https://x.org/ reboot"] } }],
      ["a hostile service", { ...tcp, check: { ...CHECKS.helmAuth, service: "magnum;reboot" } }],
      ["a hostile release", { ...tcp, check: { ...CHECKS.helmAuth, expectedReleases: ["a'b"] } }],
    ] as const) {
      it(`reports ${name} as a failure`, async () => {
        const r = await p.check(tcp, news as RemoteCheckInputs);
        assert.equal(r.inputs, undefined);
        assert.equal(r.failures?.length, 1);
      });
    }
  });

  describe("diff", () => {
    const p = new RemoteCheckProvider(noIo);

    it("sees no change while the gate holds and its inputs stay", async () => {
      assert.deepEqual(await p.diff("id", passed, tcp), { changes: false, replaces: [] });
    });

    for (const [name, news] of [
      ["the check", { ...tcp, check: { kind: "tcp", host: "10.0.0.9", port: 443 } }],
      ["the guards", { ...tcp, guards: "sg-rule-2" }],
      ["unknown guards", { ...tcp, guards: UNKNOWN }],
    ] as const) {
      it(`reruns in place when ${name} changed`, async () => {
        const d = await p.diff("id", passed, news);
        assert.equal(d.changes, true);
        assert.deepEqual(d.replaces, []);
      });
    }

    it("replaces for another unit", async () => {
      assert.deepEqual((await p.diff("id", passed, { ...tcp, unit: "magnum/1" })).replaces, ["unit"]);
    });

    it("reruns when refresh found the gate failing", async () => {
      assert.equal((await p.diff("id", { ...passed, passed: "0" }, tcp)).changes, true);
    });
  });

  describe("create", () => {
    it("runs a TCP gate in one call without stdin and records what it saw", async () => {
      const t = new FakeTransport(() => tcpOk);
      const r = await new RemoteCheckProvider(t.connect).create(tcp);
      assert.equal(t.calls.length, 1);
      assert.deepEqual(t.described, []);
      assert.equal(t.calls[0].opts.stdin, undefined);
      assert.equal(r.id, `${UNIT}:tcp`);
      assert.deepEqual(r.outs, passed);
    });

    it("looks the unit up once, then runs the preflight in one call", async () => {
      const t = unitAt("10.0.0.5");
      const r = await new RemoteCheckProvider(t.connect).create(preflight);
      assert.deepEqual(t.described, [UNIT]);
      assert.equal(t.calls.length, 1);
      assert.equal(t.calls[0].opts.stdin, undefined);
      assert.equal(r.outs?.passed, "1");
    });

    for (const [name, t, expected] of [
      ["at another address", unitAt("10.0.0.6"), /expected public-address 10\.0\.0\.5 .*saw 10\.0\.0\.6/],
      ["missing", new FakeTransport(() => tcpOk), /saw no such unit in juju status/],
    ] as const) {
      it(`fails the preflight, without running it, for a unit ${name}`, async () => {
        await assert.rejects(new RemoteCheckProvider(t.connect).create(preflight), (e: Error) => {
          assert.ok(isGateError(e));
          assert.match(e.message, expected);
          return true;
        });
        assert.equal(t.calls.length, 0);
      });
    }

    it("names the unit when juju status fails, and runs nothing", async () => {
      const t = new FakeTransport(() => tcpOk);
      t.describeUnit = async () => {
        throw new Error("juju status -m openstack failed with exit 1: ERROR controller unreachable");
      };
      await assert.rejects(
        new RemoteCheckProvider(t.connect).create(preflight),
        /^Error: preflight on magnum\/0: juju status -m openstack failed .*Nothing was changed/,
      );
      assert.equal(t.calls.length, 0);
    });

    it("sends scripts that parse for every kind of check", async () => {
      for (const check of Object.values(CHECKS)) {
        assert.equal(parseErrors(await scriptFor(check)), "", check.kind);
      }
    });

    it("keeps the helm auth inputs literal", async () => {
      const script = await scriptFor(CHECKS.helmAuth);
      assert.equal(valueOf(script, "user=", "svc"), "magnum-conductor");
      assert.equal(valueOf(script, "user=", "kc"), "/etc/magnum/kubeconfig");
    });

    itReportsFailuresOf(
      "TCP gate to 10.0.0.9:6443",
      (t) => new RemoteCheckProvider(t.connect).create(tcp),
      undefined,
    );
  });

  describe("update", () => {
    it("reruns the gate in one call", async () => {
      const t = new FakeTransport(() => tcpOk);
      const r = await new RemoteCheckProvider(t.connect).update("id", passed, {
        ...tcp,
        guards: "sg-rule-2",
      });
      assert.equal(t.calls.length, 1);
      assert.deepEqual(r.outs, { ...passed, guards: "sg-rule-2" });
    });
  });

  describe("read", () => {
    it("records a gate that no longer holds instead of throwing", async () => {
      const t = new FakeTransport(() => gateFailed("TCP-OK to 10.0.0.9:6443", "TCP-FAIL"));
      const r = await new RemoteCheckProvider(t.connect).read("id", passed);
      assert.equal(t.calls.length, 1);
      assert.equal(r.props?.passed, "0");
      assert.match(r.props?.seen, /expected TCP-OK to 10\.0\.0\.9:6443; saw TCP-FAIL/);
    });

    it("records a preflight unit that left the model", async () => {
      const t = new FakeTransport(() => tcpOk);
      const r = await new RemoteCheckProvider(t.connect).read("id", { ...passed, check: CHECKS.preflight });
      assert.equal(r.props?.passed, "0");
    });

    it("rethrows a connection failure", async () => {
      const t = new FakeTransport(() => {
        throw connectionError("juju ssh failed with exit 255");
      });
      await assert.rejects(
        new RemoteCheckProvider(t.connect).read("id", passed),
        /on magnum\/0: juju ssh failed/,
      );
    });
  });

  describe("the scripts, run here", () => {
    const tmp = tempDirPerTest();

    it("checks every egress URL, quotes and all", async () => {
      const urls = ["https://a.example.org/", `https://b.example.org/it's"$(reboot)"`];
      const curl = join(tmp(), "curl");
      writeFileSync(curl, `#!/bin/bash\nprintf 200\n`);
      chmodSync(curl, 0o755);
      const r = runLocally(await scriptFor({ kind: "egress", urls }), tmp());
      assert.equal(r.code, 0, r.stderr);
      assert.equal(parseResults(r.stdout).seen, urls.map((u) => `${u}:200`).join(" "));
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
        const r = runLocally(await scriptFor({ ...CHECKS.preflight, magnumConf } as CheckSpec), tmp());
        assert.equal(r.code, code, r.stderr);
        const results = parseResults(r.stdout);
        assert.equal(results.seen ?? results["fail.seen"], result);
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

      it("holds for an open port and fails for a closed one", async () => {
        const open = runLocally(await scriptFor({ kind: "tcp", host: "127.0.0.1", port }), tmp());
        assert.equal(open.code, 0, open.stderr);
        assert.equal(parseResults(open.stdout).seen, `TCP-OK 127.0.0.1:${port}`);
        const closed = runLocally(await scriptFor({ kind: "tcp", host: "127.0.0.1", port: 1 }), tmp());
        assert.equal(closed.code, 3, closed.stderr);
        assert.match(parseResults(closed.stdout)["fail.seen"], /^TCP-FAIL/);
      });
    });
  });
});
