import { RemoteScriptProvider } from "../../providers/kernel";
import assert from "assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { PIP_PACKAGE } from "../../providers/pipPackage";
import { PIP_CONTRACT } from "./contracts";
import {
  deleteScriptOf,
  FakeTransport,
  itReportsFailuresOf,
  noIo,
  ok,
  parseErrors,
  runLocally,
  scriptOf,
  tempDirPerTest,
  valueOf,
} from "./harness";

const { inputs, outputs, liveReply } = PIP_CONTRACT;

const deleteScript = (destroyMode: "rollback" | "remove") =>
  deleteScriptOf((c) => new RemoteScriptProvider(PIP_PACKAGE, c), { ...outputs, destroyMode });

describe("PIP_PACKAGE", () => {
  describe("check", () => {
    const p = new RemoteScriptProvider(PIP_PACKAGE, noIo);

    it("refuses an index URL with credentials, and names it without the password", async () => {
      const r = await p.check(inputs, {
        ...inputs,
        indexUrl: "https://ci:s3cr3t-T0ken@pypi.example.org/simple",
      });
      assert.equal(r.inputs, undefined);
      const reason = r.failures?.[0].reason ?? "";
      assert.match(
        reason,
        /indexUrl: expected an http\(s\) URL without credentials; saw https:\/\/\*\*\*@pypi/,
      );
      assert.doesNotMatch(reason, /s3cr3t/);
    });
  });

  describe("create", () => {
    it("keeps an index URL with quotes and $(...) literal in a script that parses", async () => {
      const indexUrl = `https://pypi.example.org/it's"$(reboot)"/simple`;
      const news = { ...inputs, indexUrl };
      assert.deepEqual(await new RemoteScriptProvider(PIP_PACKAGE, noIo).check(inputs, news), {
        inputs: news,
      });
      const t = new FakeTransport(() => liveReply);
      await new RemoteScriptProvider(PIP_PACKAGE, t.connect).create(news);
      const script = scriptOf(t.calls[0]);
      assert.equal(parseErrors(script), "");
      assert.equal(valueOf(script, "installed()", "index"), indexUrl);
      assert.equal(valueOf(script, "installed()", "pkg"), "magnum-capi-helm");
      assert.equal(valueOf(script, "cur=", "want"), "1.4.0");
    });

    for (const [key, value] of [
      ["version", "1.3.0"],
      ["entry_points", "k8s_fedora"],
    ]) {
      it(`fails when the unit then shows ${key}=${value}`, async () => {
        const t = new FakeTransport(() =>
          ok({ version: "1.4.0", entry_points: outputs.entryPoints, [key]: value }),
        );
        await assert.rejects(
          new RemoteScriptProvider(PIP_PACKAGE, t.connect).create(inputs),
          /on magnum\/0: expected version 1\.4\.0 with entry point k8s_capi_helm_v1 in magnum\.drivers; saw .*pulumi destroy/,
        );
      });
    }
  });

  describe("update", () => {
    it("records the floors without a call over state written before them", async () => {
      const { pythonFloor: _, rollbackPythonFloor: __, ...released } = outputs;
      const p = new RemoteScriptProvider(PIP_PACKAGE, noIo);
      const d = await p.diff("id", released, inputs);
      assert.deepEqual([d.changes, d.replaces], [true, []]);
      assert.deepEqual((await p.update("id", released, inputs)).outs, outputs);
    });

    // entryPoints were measured in the old group: they say nothing about the new one.
    it("measures the new entry point group instead of reusing the old group's names", async () => {
      const t = new FakeTransport(() => ok({ version: "1.4.0", entry_points: "k8s_capi_helm_v1" }));
      const news = { ...inputs, entryPointGroup: "magnum.template_drivers" };
      await new RemoteScriptProvider(PIP_PACKAGE, t.connect).update("id", outputs, news);
      assert.equal(t.calls.length, 1);
    });
  });

  describe("delete", () => {
    it("pins the rollback version back in rollback mode", async () => {
      const script = await deleteScript("rollback");
      assert.equal(parseErrors(script), "");
      assert.match(script, /\nrollback='1\.3\.0'\n/);
      assert.match(script, /\npip_run --force-reinstall "\$pkg==\$rollback"\n/);
      assert.doesNotMatch(script, /pip uninstall/);
    });

    it("uninstalls in remove mode", async () => {
      const script = await deleteScript("remove");
      assert.equal(parseErrors(script), "");
      assert.match(script, /python3 -m pip uninstall -y .*"\$pkg"/);
      assert.doesNotMatch(script, /--force-reinstall/);
    });

    itReportsFailuresOf(
      "magnum-capi-helm pin back 1.3.0",
      (t) => new RemoteScriptProvider(PIP_PACKAGE, t.connect).delete("id", outputs),
      undefined,
    );
  });

  // The scripts run here against a python3 that plays a unit's: what it prints for --version, whether
  // it says its Python is externally managed (PEP 668), whether its pip lists --break-system-packages.
  describe("on the unit's python3", () => {
    const dir = tempDirPerTest();

    interface Python {
      readonly version: string;
      /** sys.prefix == sys.base_prefix and EXTERNALLY-MANAGED in the stdlib directory. */
      readonly marked: boolean;
      /** The pip understands --break-system-packages (23.0.1 and later). */
      readonly flagKnown: boolean;
      readonly installed?: string;
    }

    const NOBLE: Python = { version: "3.12.3", marked: true, flagKnown: true };
    const JAMMY: Python = { version: "3.10.12", marked: false, flagKnown: false };

    /** A python3 that records every pip command line and keeps the installed version in a file. */
    function fakePython(py: Python): void {
      const d = dir();
      writeFileSync(join(d, "installed"), py.installed ?? "");
      const help = py.flagKnown ? "  --break-system-packages  Allow pip to modify an EXTERNALLY-MANAGED" : "";
      writeFileSync(
        join(d, "python3"),
        `#!/bin/bash
d=${d}
case "$1" in
--version) echo "Python ${py.version}"; exit 0 ;;
-c) case "$2" in *EXTERNALLY-MANAGED*) exit ${py.marked ? 0 : 1} ;; *) echo k8s_capi_helm_v1; exit 0 ;; esac ;;
esac
shift 2
case "$1 $2" in
"install --help") echo "${help}"; exit 0 ;;
show*) v=$(cat "$d/installed"); [ -n "$v" ] || exit 1; echo "Version: $v"; exit 0 ;;
esac
echo "$*" >>"$d/pip-argv"
case "$1" in
install) [ -e "$d/pip-fails" ] && { echo "ERROR: No matching distribution found for \${@: -1}"; exit 1; }
  v=\${@: -1}; echo "\${v#*==}" >"$d/installed" ;;
uninstall) : >"$d/installed" ;;
esac
`,
      );
      chmodSync(join(d, "python3"), 0o755);
    }

    /** Every `python3 -m pip` command line that could change the unit, in order. */
    const pipArgv = () =>
      existsSync(join(dir(), "pip-argv"))
        ? readFileSync(join(dir(), "pip-argv"), "utf8").trim().split("\n")
        : [];

    const onUnit = () =>
      new FakeTransport((call) => runLocally(scriptOf(call), join(dir(), "state"), undefined, dir()));

    const restartOwed = () => existsSync(join(dir(), "state", "restart-pending"));

    it("installs on a marked system Python (noble) with --break-system-packages", async () => {
      fakePython(NOBLE);
      await new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).create(inputs);
      assert.deepEqual(pipArgv(), [
        "install --no-deps --disable-pip-version-check --break-system-packages --index-url https://pypi.example.org/simple --upgrade magnum-capi-helm==1.4.0",
      ]);
    });

    it("pins back and uninstalls on a marked system Python with --break-system-packages", async () => {
      fakePython({ ...NOBLE, installed: "1.4.0" });
      await new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).delete("id", outputs);
      fakePython({ ...NOBLE, installed: "1.3.0" });
      await new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).delete("id", {
        ...outputs,
        destroyMode: "remove",
      });
      assert.deepEqual(pipArgv(), [
        "install --no-deps --disable-pip-version-check --break-system-packages --index-url https://pypi.example.org/simple --force-reinstall magnum-capi-helm==1.3.0",
        "uninstall -y --disable-pip-version-check --break-system-packages magnum-capi-helm",
      ]);
    });

    for (const [label, py] of [
      ["jammy's unmarked Python, whose pip does not know the flag", JAMMY],
      ["a venv on noble (pip ignores the marker there)", { ...NOBLE, marked: false }],
      ["a marked Python whose pip predates the flag", { ...NOBLE, flagKnown: false }],
    ] as const) {
      it(`passes no --break-system-packages on ${label}`, async () => {
        fakePython(py);
        await new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).create(inputs);
        fakePython({ ...py, installed: "1.4.0" });
        await new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).delete("id", outputs);
        fakePython({ ...py, installed: "1.3.0" });
        await new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).delete("id", {
          ...outputs,
          destroyMode: "remove",
        });
        assert.equal(pipArgv().length, 3);
        for (const argv of pipArgv()) assert.doesNotMatch(argv, /break-system-packages/);
      });
    }

    it("refuses a Python older than the version's floor before changing anything, naming both", async () => {
      fakePython({ ...JAMMY, version: "3.8.10", installed: "1.3.0" });
      await assert.rejects(
        new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).create(inputs),
        /^GateError: pip install magnum-capi-helm==1\.4\.0 on magnum\/0: expected Python >= 3\.10 for magnum-capi-helm 1\.4\.0; saw Python 3\.8\.10\./,
      );
      assert.deepEqual(pipArgv(), []);
      assert.equal(restartOwed(), false, "no restart owed");
    });

    it("refuses a rollback pin onto a Python older than the rollback version's floor", async () => {
      fakePython({ ...JAMMY, version: "3.8.10", installed: "1.4.0" });
      await assert.rejects(
        new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).delete("id", {
          ...outputs,
          rollbackPythonFloor: "3.10",
        }),
        /pin back 1\.3\.0 on magnum\/0: expected Python >= 3\.10 for magnum-capi-helm 1\.3\.0; saw Python 3\.8\.10\./,
      );
      assert.deepEqual(pipArgv(), []);
      assert.equal(restartOwed(), false);
    });

    it("installs on a Python at the floor, and leaves an unknown version's floor to pip", async () => {
      fakePython({ ...JAMMY, version: "3.10.0" });
      await new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).create(inputs);
      fakePython({ ...JAMMY, version: "3.8.10" });
      // State written before the floors were recorded: the pin goes ahead.
      const { rollbackPythonFloor: _, ...released } = outputs;
      await new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).delete("id", released);
      assert.equal(pipArgv().length, 2);
    });

    it("names the unit's Python when pip finds no version for it", async () => {
      fakePython({ ...JAMMY, version: "3.8.10" });
      writeFileSync(join(dir(), "pip-fails"), "");
      await assert.rejects(
        new RemoteScriptProvider(PIP_PACKAGE, onUnit().connect).create({
          ...inputs,
          version: "1.5.0",
          pythonFloor: "",
        }),
        /pip install magnum-capi-helm==1\.5\.0 on magnum\/0: expected pip install --upgrade magnum-capi-helm==1\.5\.0 to succeed; saw exit 1 on Python 3\.8\.10: ERROR: No matching distribution found/,
      );
    });
  });
});
