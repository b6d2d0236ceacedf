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
  apiService: "magnum-api",
  restartApi: "auto",
};
const destroy: ServiceRestartInputs = { ...apply, when: "destroy" };
const healthy = {
  healthy: "1",
  pid: "4242",
  drivers: "k8s_capi_helm_v1,k8s_fedora_coreos_v1",
  configDirLive: "1",
  owed: "0",
  runningVersion: "1.4.0",
  apiPid: "4343",
  apiOwed: "0",
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
  api_pid: "4343",
  api_owed: "0",
  api_restarted: "1",
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
      ["restartApi", "yes"],
      ["apiService", "magnum-api; reboot"],
    ]);

    it("requires the API's service name with restartApi true", async () => {
      const r = await p.check(apply, { ...apply, apiService: "", restartApi: "true" });
      assert.match(r.failures?.[0].reason ?? "", /apiService: expected a service name/);
      assert.deepEqual(await p.check(apply, { ...apply, apiService: "", restartApi: "auto" }), {
        inputs: { ...apply, apiService: "", restartApi: "auto" },
      });
    });
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
      ["restartApi", "false"],
      ["apiService", "magnum-api-wsgi"],
    ]);

    it("reruns the restart on state of earlier releases, which had no API to restart", async () => {
      const { apiService: _s, restartApi: _r, apiPid: _p, apiOwed: _o, ...released } = applied;
      assert.deepEqual(await p.diff("id", released, apply), { changes: true, replaces: [] });
    });

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
      assert.equal(t.calls[0].opts.timeoutMs, 300_000, "the conductor's wait, then the API's");
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
        apiPid: "",
        apiOwed: "",
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

  describe("the scripts, run here against a fake systemd", () => {
    const tmp = tempDirPerTest();
    const log = () => join(tmp(), "systemctl.log");

    function fake(name: string, body: string): void {
      writeFileSync(join(tmp(), name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(tmp(), name), 0o755);
    }

    /**
     * A systemd of two services: each restart gives a service the next pid; `<svc>.absent` makes it
     * unknown, `<svc>.failed` failed. The API's pid listens (ss).
     */
    function fakeUnit(): void {
      const d = tmp();
      writeFileSync(join(d, "magnum-conductor.pid"), "4241");
      writeFileSync(join(d, "magnum-api.pid"), "4342");
      fake(
        "systemctl",
        `echo "$*" >> ${log()}
d=${d}
case "$1" in
  is-active)
    svc=$2; [ "$2" = --quiet ] && svc=$3
    if [ -e "$d/$svc.failed" ]; then [ "$2" = --quiet ] || echo failed; exit 3; fi
    [ "$2" = --quiet ] || echo active ;;
  show)
    case "$4" in
      MainPID) cat "$d/$2.pid" ;;
      LoadState) if [ -e "$d/$2.absent" ]; then echo not-found; else echo loaded; fi ;;
    esac ;;
  restart) echo $(( $(cat "$d/$2.pid") + 1 )) > "$d/$2.pid" ;;
esac`,
      );
      fake(
        "ss",
        `echo "LISTEN 0 128 10.0.0.1:9501 0.0.0.0:* users:((\"magnum-api\",pid=$(cat ${d}/magnum-api.pid),fd=3))"`,
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
    }

    const restarts = () =>
      readFileSync(log(), "utf8")
        .split("\n")
        .filter((c) => c.startsWith("restart"));
    const marks = () =>
      ["restart-pending", "api-restart-pending", "api-restarted"].filter((m) => existsSync(join(tmp(), m)));

    async function runApply(i: ServiceRestartInputs = apply) {
      const t = new FakeTransport(() => liveReply);
      await new ServiceRestartProvider(t.connect).create({ ...i, settleSeconds: 1 });
      return runLocally(scriptOf(t.calls[0]), tmp());
    }

    it("restarts the conductor, then the API, when a restart is owed, and reports both", async () => {
      fakeUnit();
      writeFileSync(join(tmp(), "restart-pending"), "");
      const r = await runApply();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(parseResults(r.stdout), parseResults(liveReply.stdout));
      assert.deepEqual(restarts(), ["restart magnum-conductor", "restart magnum-api"]);
      assert.deepEqual(marks(), ["api-restarted"]);
    });

    it("restarts only the API when the conductor's restart is done and the API's is still owed", async () => {
      fakeUnit();
      writeFileSync(join(tmp(), "api-restart-pending"), "");
      writeFileSync(join(tmp(), "api-restarted"), "");
      const r = await runApply();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(restarts(), ["restart magnum-api"]);
      assert.equal(parseResults(r.stdout).api_pid, "4343");
      assert.deepEqual(marks(), ["api-restarted"]);
    });

    it("restarts the API once on a unit grafted before (no record of a verified API restart)", async () => {
      fakeUnit();
      assert.equal((await runApply()).code, 0);
      assert.equal((await runApply()).code, 0);
      assert.deepEqual(restarts(), ["restart magnum-api"]);
    });

    it("leaves the API alone with restartApi false", async () => {
      fakeUnit();
      writeFileSync(join(tmp(), "restart-pending"), "");
      const r = await runApply({ ...apply, restartApi: "false" });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(restarts(), ["restart magnum-conductor"]);
      assert.deepEqual([parseResults(r.stdout).api_pid, parseResults(r.stdout).healthy], ["", "1"]);
      assert.deepEqual(marks(), []);
    });

    it("restarts no API on a unit that runs none (auto)", async () => {
      fakeUnit();
      writeFileSync(join(tmp(), "magnum-api.absent"), "");
      writeFileSync(join(tmp(), "restart-pending"), "");
      const r = await runApply();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(restarts(), ["restart magnum-conductor"]);
      assert.equal(parseResults(r.stdout).healthy, "1");
    });

    it("with restartApi true, fails on a unit that runs no API before anything restarts", async () => {
      fakeUnit();
      writeFileSync(join(tmp(), "magnum-api.absent"), "");
      writeFileSync(join(tmp(), "restart-pending"), "");
      const r = await runApply({ ...apply, restartApi: "true" });
      assert.equal(r.code, 3);
      assert.deepEqual(parseResults(r.stdout), {
        "fail.expected": "magnum-api installed on the unit (restartApi true)",
        "fail.seen": "LoadState not-found",
      });
      assert.deepEqual(restarts(), []);
      assert.deepEqual(marks(), ["restart-pending"]);
    });

    it("fails when the API does not come back, and keeps its restart owed", async () => {
      fakeUnit();
      writeFileSync(join(tmp(), "magnum-api.failed"), "");
      writeFileSync(join(tmp(), "restart-pending"), "");
      const r = await runApply();
      assert.equal(r.code, 3);
      assert.equal(parseResults(r.stdout)["fail.expected"], "magnum-api active after the restart");
      assert.match(parseResults(r.stdout)["fail.seen"], /^failed; see /);
      assert.deepEqual(marks(), ["api-restart-pending"]);
    });

    it("restarts the conductor, then the API, after a rollback", async () => {
      fakeUnit();
      writeFileSync(join(tmp(), "restart-pending"), "");
      writeFileSync(join(tmp(), "api-restarted"), "");
      const r = runLocally(await deleteScript("rollback"), tmp());
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(restarts(), ["restart magnum-conductor", "restart magnum-api"]);
      assert.deepEqual(marks(), ["api-restarted"]);
    });
  });
});
