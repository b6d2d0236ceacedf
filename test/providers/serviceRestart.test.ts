import { RemoteScriptProvider } from "../../providers/kernel";
import assert from "assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { parseResults } from "../../providers/remote";
import { ServiceRestartInputs, ServiceRestartOutputs, SERVICE_RESTART } from "../../providers/serviceRestart";
import { RESTART_CONTRACT } from "./contracts";
import {
  deleteScriptOf,
  FakeTransport,
  itReportsFailuresOf,
  noIo,
  parseErrors,
  runLocally,
  scriptOf,
  tempDirPerTest,
  valueOf,
} from "./harness";

const { inputs: apply, outputs: applied, liveReply } = RESTART_CONTRACT;
const destroy: ServiceRestartInputs = { ...apply, when: "destroy" };
const waiting: ServiceRestartOutputs = { ...destroy, healthy: "1", pid: "", drivers: "", configDirLive: "" };

const deleteScript = (destroyMode: "rollback" | "remove") =>
  deleteScriptOf((c) => new RemoteScriptProvider(SERVICE_RESTART, c), { ...waiting, destroyMode });

describe("SERVICE_RESTART", () => {
  describe("check", () => {
    const p = new RemoteScriptProvider(SERVICE_RESTART, noIo);

    it("requires the API's service name with restartApi true", async () => {
      const r = await p.check(apply, { ...apply, apiService: "", restartApi: "true" });
      assert.match(r.failures?.[0].reason ?? "", /apiService: expected a service name/);
      assert.deepEqual(await p.check(apply, { ...apply, apiService: "", restartApi: "auto" }), {
        inputs: { ...apply, apiService: "", restartApi: "auto" },
      });
    });
  });

  describe("diff", () => {
    const p = new RemoteScriptProvider(SERVICE_RESTART, noIo);

    it("reruns the restart on state of earlier releases, which had no API to restart", async () => {
      const { apiService: _s, restartApi: _r, apiPid: _p, apiOwed: _o, ...released } = applied;
      assert.deepEqual(await p.diff("id", released, apply), { changes: true, replaces: [] });
    });

    it("sees no drift in an unhealthy daemon for when=destroy: its restart follows a rollback", async () => {
      assert.equal((await p.diff("id", { ...waiting, healthy: "0" }, destroy)).changes, false);
    });
  });

  it("never diffs the roll order: a change of conductors gives this unit no diff", async () => {
    const p = new RemoteScriptProvider(SERVICE_RESTART, noIo);
    const news = { ...apply, rollAfter: ["magnum/1", "magnum/3"] };
    assert.deepEqual(await p.diff("id", { ...applied, rollAfter: ["magnum/1"] }, news), {
      changes: false,
      replaces: [],
    });
  });

  describe("create", () => {
    it("does nothing on the unit (when=destroy)", async () => {
      const r = await new RemoteScriptProvider(SERVICE_RESTART, noIo).create(destroy);
      assert.deepEqual(r.outs, waiting);
    });

    it("keeps its values literal in a script that parses", async () => {
      const t = new FakeTransport(() => liveReply);
      await new RemoteScriptProvider(SERVICE_RESTART, t.connect).create(apply);
      const script = scriptOf(t.calls[0]);
      assert.equal(parseErrors(script), "");
      assert.equal(valueOf(script, "pending=", "svc"), "magnum-conductor");
      assert.equal(valueOf(script, "pending=", "cdir"), "/etc/magnum/magnum.conf.d");
      assert.equal(valueOf(script, "pending=", "drv"), "k8s_capi_helm_v1");
      assert.equal(valueOf(script, "pending=", "settle"), "5");
    });

    it("names this unit and the later ones as owing a restart when it fails in a roll", async () => {
      const t = new FakeTransport(() => ({
        code: 3,
        stdout: "fail.expected=active\nfail.seen=failed\n",
        stderr: "",
      }));
      await assert.rejects(
        new RemoteScriptProvider(SERVICE_RESTART, t.connect).create({
          ...apply,
          rollAfter: ["magnum/1", "magnum/2"],
        }),
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
    it("touches nothing when only destroyMode changed (when=destroy)", async () => {
      const r = await new RemoteScriptProvider(SERVICE_RESTART, noIo).update("id", waiting, {
        ...destroy,
        destroyMode: "remove",
      });
      assert.deepEqual(r.outs, { ...waiting, destroyMode: "remove" });
    });
  });

  describe("read", () => {
    it("measures an owed restart against the version recorded (when=apply)", async () => {
      const t = new FakeTransport(() => RESTART_CONTRACT.refresh.reply);
      await new RemoteScriptProvider(SERVICE_RESTART, t.connect).read("id", applied);
      assert.equal(valueOf(scriptOf(t.calls[0]), "pending=", "recorded"), "1.4.0");
    });

    it("does nothing on the unit (when=destroy)", async () => {
      assert.deepEqual(await new RemoteScriptProvider(SERVICE_RESTART, noIo).read("id", waiting), {
        id: "id",
        props: waiting,
      });
    });
  });

  describe("delete", () => {
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
      (t) => new RemoteScriptProvider(SERVICE_RESTART, t.connect).delete("id", waiting),
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
      await new RemoteScriptProvider(SERVICE_RESTART, t.connect).create({ ...i, settleSeconds: 1 });
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
