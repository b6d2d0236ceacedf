import assert from "assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { parseResults } from "../../providers/remote";
import {
  ServiceRestartInputs,
  ServiceRestartOutputs,
  ServiceRestartProvider,
} from "../../providers/serviceRestart";
import {
  deleteScriptOf,
  FakeTransport,
  itRejects,
  itReplaces,
  itReportsFailuresOf,
  itUpdatesInPlace,
  JUJU,
  noIo,
  ok,
  parseErrors,
  runLocally,
  scriptOf,
  tempDirPerTest,
  UNIT,
  UNKNOWN,
  valueOf,
} from "./harness";

const apply: ServiceRestartInputs = {
  transport: JUJU,
  unit: UNIT,
  service: "magnum-conductor",
  when: "apply",
  triggers: ["sha-of-conf", "1.4.0"],
  configDir: "/etc/magnum/magnum.conf.d",
  driver: "k8s_capi_helm_v1",
  settleSeconds: 5,
  destroyMode: "rollback",
};
const destroy: ServiceRestartInputs = { ...apply, when: "destroy" };
const healthy = {
  healthy: "1",
  pid: "4242",
  drivers: "k8s_capi_helm_v1,k8s_fedora_coreos_v1",
  configDirLive: "1",
  owed: "0",
  runningVersion: "1.4.0",
};
const applied: ServiceRestartOutputs = { ...apply, ...healthy };
const waiting: ServiceRestartOutputs = { ...destroy, healthy: "1", pid: "", drivers: "", configDirLive: "" };
const liveReply = ok({
  restarted: "1",
  pid: "4242",
  config_dir: "1",
  drivers: healthy.drivers,
  healthy: "1",
  owed: "0",
  running_version: "1.4.0",
});

const deleteScript = (destroyMode: "rollback" | "remove") =>
  deleteScriptOf((c) => new ServiceRestartProvider(c), { ...waiting, destroyMode });

describe("ServiceRestartProvider", () => {
  describe("check", () => {
    const p = new ServiceRestartProvider(noIo);

    it("passes valid inputs through", async () => {
      assert.deepEqual(await p.check(apply, apply), { inputs: apply });
    });

    itRejects(p, apply, [
      ["unit", "magnum/0; rm -rf /"],
      ["service", "magnum-conductor; reboot"],
      ["configDir", "/etc/magnum/$(reboot)"],
      ["driver", "k8s capi"],
      ["settleSeconds", 0],
      ["settleSeconds", 1.5],
      ["rollAfter", ["magnum/1", "magnum/2 $(reboot)"]],
    ]);
  });

  describe("diff", () => {
    const p = new ServiceRestartProvider(noIo);

    it("sees no change while the daemon is healthy and the inputs stay", async () => {
      assert.deepEqual(await p.diff("id", applied, apply), { changes: false, replaces: [] });
    });

    itUpdatesInPlace(p, applied, apply, [
      ["triggers", ["sha-of-conf", "1.4.1"]],
      ["triggers", ["sha-of-conf", UNKNOWN]],
      ["configDir", "/etc/magnum/other.d"],
      ["driver", "other"],
      ["settleSeconds", 10],
      ["destroyMode", "remove"],
    ]);

    itReplaces(p, applied, apply, [
      ["unit", "magnum/1"],
      ["service", "magnum-api"],
      ["when", "destroy"],
    ]);

    it("sees drift when read found the daemon unhealthy, for when=apply only", async () => {
      assert.equal((await p.diff("id", { ...applied, healthy: "0" }, apply)).changes, true);
      assert.equal((await p.diff("id", { ...waiting, healthy: "0" }, destroy)).changes, false);
    });
  });

  it("never diffs the roll order: a change of conductors gives this unit no diff", async () => {
    const p = new ServiceRestartProvider(noIo);
    const news = { ...apply, rollAfter: ["magnum/1", "magnum/3"] };
    assert.deepEqual(await p.diff("id", { ...applied, rollAfter: ["magnum/1"] }, news), {
      changes: false,
      replaces: [],
    });
  });

  describe("create", () => {
    it("restarts and verifies in one call without stdin (when=apply)", async () => {
      const t = new FakeTransport(() => liveReply);
      const r = await new ServiceRestartProvider(t.connect).create(apply);
      assert.equal(t.calls.length, 1);
      assert.equal(t.calls[0].opts.stdin, undefined);
      assert.equal(t.calls[0].opts.timeoutMs, 180_000);
      assert.equal(r.id, `${UNIT}:magnum-conductor:apply`);
      assert.deepEqual(r.outs, applied);
    });

    it("does nothing on the unit (when=destroy)", async () => {
      const r = await new ServiceRestartProvider(noIo).create(destroy);
      assert.deepEqual(r.outs, waiting);
    });

    it("keeps its values literal in a script that parses", async () => {
      const t = new FakeTransport(() => liveReply);
      await new ServiceRestartProvider(t.connect).create(apply);
      const script = scriptOf(t.calls[0]);
      assert.equal(parseErrors(script), "");
      assert.equal(valueOf(script, "pending=", "svc"), "magnum-conductor");
      assert.equal(valueOf(script, "pending=", "cdir"), "/etc/magnum/magnum.conf.d");
      assert.equal(valueOf(script, "pending=", "drv"), "k8s_capi_helm_v1");
      assert.equal(valueOf(script, "pending=", "settle"), "5");
    });

    itReportsFailuresOf(
      "restart magnum-conductor",
      (t) => new ServiceRestartProvider(t.connect).create(apply),
      "healthy",
    );

    it("names this unit and the later ones as owing a restart when it fails in a roll", async () => {
      const t = new FakeTransport(() => ({
        code: 3,
        stdout: "fail.expected=active\nfail.seen=failed\n",
        stderr: "",
      }));
      await assert.rejects(
        new ServiceRestartProvider(t.connect).create({ ...apply, rollAfter: ["magnum/1", "magnum/2"] }),
        (e: Error) => {
          assert.equal(e.name, "GateError");
          assert.match(e.message, /^restart magnum-conductor on magnum\/0: expected active; saw failed\. /);
          assert.match(
            e.message,
            /The rolling restart stopped at magnum\/0; still owing a restart: magnum\/0, magnum\/1, magnum\/2\. `pulumi up` after the fix continues the roll/,
          );
          return true;
        },
      );
    });
  });

  describe("update", () => {
    it("reruns the restart in one call (when=apply)", async () => {
      const t = new FakeTransport(() => liveReply);
      const news = { ...apply, triggers: ["new"] };
      const r = await new ServiceRestartProvider(t.connect).update("id", applied, news);
      assert.equal(t.calls.length, 1);
      assert.deepEqual(r.outs, { ...applied, triggers: ["new"] });
    });

    it("touches nothing when only destroyMode changed (when=destroy)", async () => {
      const r = await new ServiceRestartProvider(noIo).update("id", waiting, {
        ...destroy,
        destroyMode: "remove",
      });
      assert.deepEqual(r.outs, { ...waiting, destroyMode: "remove" });
    });
  });

  describe("read", () => {
    it("re-measures in one call without stdin (when=apply)", async () => {
      const t = new FakeTransport(() =>
        ok({ drivers: "", healthy: "0", config_dir: "0", pid: "0", owed: "1", running_version: "1.4.0" }),
      );
      const r = await new ServiceRestartProvider(t.connect).read("id", applied);
      assert.equal(t.calls.length, 1);
      assert.equal(t.calls[0].opts.stdin, undefined);
      const script = scriptOf(t.calls[0]);
      assert.equal(parseErrors(script), "");
      assert.equal(
        valueOf(script, "pending=", "recorded"),
        "1.4.0",
        "the version recorded, for an owed restart",
      );
      assert.deepEqual(r.props, {
        ...applied,
        healthy: "0",
        pid: "0",
        drivers: "",
        configDirLive: "0",
        owed: "1",
        runningVersion: "1.4.0",
      });
    });

    it("does nothing on the unit (when=destroy)", async () => {
      assert.deepEqual(await new ServiceRestartProvider(noIo).read("id", waiting), {
        id: "id",
        props: waiting,
      });
    });
  });

  describe("delete", () => {
    it("does nothing on the unit (when=apply)", async () => {
      await new ServiceRestartProvider(noIo).delete("id", applied);
    });

    it("restarts after the rollback and checks the driver list only then (when=destroy)", async () => {
      const rollback = await deleteScript("rollback");
      const remove = await deleteScript("remove");
      assert.equal(parseErrors(rollback), "");
      assert.equal(parseErrors(remove), "");
      assert.match(rollback, /gate "list-drivers listing \$drv after the rollback"/);
      assert.doesNotMatch(remove, /list-drivers listing/);
      assert.match(remove, /say "restarting \$svc after the "'remove'/);
    });

    itReportsFailuresOf(
      "restart magnum-conductor after rollback",
      (t) => new ServiceRestartProvider(t.connect).delete("id", waiting),
      undefined,
    );
  });

  describe("the apply script, run here against a fake systemd", () => {
    const tmp = tempDirPerTest();

    function fake(name: string, body: string): void {
      writeFileSync(join(tmp(), name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(tmp(), name), 0o755);
    }

    it("restarts once when a restart is owed, waits for it to settle and reports the drivers", async () => {
      const log = join(tmp(), "systemctl.log");
      fake(
        "systemctl",
        `echo "$*" >> ${log}
case "$1" in
  is-active) [ "$2" = --quiet ] || echo active ;;
  show) echo 4242 ;;
esac`,
      );
      fake("ps", `echo "/usr/bin/python3 /usr/bin/magnum-conductor --config-dir /etc/magnum/magnum.conf.d"`);
      fake(
        "magnum-driver-manage",
        `cat <<'EOF'
+----------------------+--------+
| Name                 | Active |
+----------------------+--------+
| k8s_fedora_coreos_v1 | True   |
| k8s_capi_helm_v1     | True   |
+----------------------+--------+
EOF`,
      );
      fake("python3", `echo 1.4.0`);
      writeFileSync(join(tmp(), "restart-pending"), "");
      const t = new FakeTransport(() => liveReply);
      await new ServiceRestartProvider(t.connect).create({ ...apply, settleSeconds: 1 });
      const r = runLocally(scriptOf(t.calls[0]), tmp());
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(parseResults(r.stdout), parseResults(liveReply.stdout));
      assert.equal(existsSync(join(tmp(), "restart-pending")), false);
      const calls = readFileSync(log, "utf8").split("\n");
      assert.deepEqual(
        calls.filter((c) => c.startsWith("restart")),
        ["restart magnum-conductor"],
      );
    });
  });
});
