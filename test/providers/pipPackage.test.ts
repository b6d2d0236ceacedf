import assert from "assert/strict";
import { PipPackageInputs, PipPackageOutputs, PipPackageProvider } from "../../providers/pipPackage";
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
  scriptOf,
  UNIT,
  UNKNOWN,
  valueOf,
} from "./harness";

const inputs: PipPackageInputs = {
  transport: JUJU,
  unit: UNIT,
  package: "magnum-capi-helm",
  version: "1.4.0",
  indexUrl: "https://pypi.example.org/simple",
  entryPointGroup: "magnum.drivers",
  entryPointName: "k8s_capi_helm_v1",
  rollbackVersion: "1.3.0",
  destroyMode: "rollback",
};
const outputs: PipPackageOutputs = {
  ...inputs,
  installedVersion: "1.4.0",
  entryPoints: "k8s_capi_helm_v1,k8s_fedora",
  changedAt: "",
};
const liveReply = ok({ changed: "1", version: "1.4.0", entry_points: outputs.entryPoints });

const deleteScript = (destroyMode: "rollback" | "remove") =>
  deleteScriptOf((c) => new PipPackageProvider(c), { ...outputs, destroyMode });

describe("PipPackageProvider", () => {
  describe("check", () => {
    const p = new PipPackageProvider(noIo);

    it("passes valid inputs through, and an empty index URL", async () => {
      assert.deepEqual(await p.check(inputs, inputs), { inputs });
      const news = { ...inputs, indexUrl: "" };
      assert.deepEqual(await p.check(inputs, news), { inputs: news });
    });

    itRejects(p, inputs, [
      ["unit", "magnum/0; rm -rf /"],
      ["package", "magnum capi"],
      ["version", "1.4.0; reboot"],
      ["rollbackVersion", "$(reboot)"],
      ["entryPointGroup", "magnum.drivers'"],
      ["entryPointName", "a b"],
      ["indexUrl", "https://pypi.example.org/ simple"],
      ["indexUrl", "file:///etc/passwd"],
    ]);

    it("refuses an index URL with credentials, and names it without the password", async () => {
      const r = await p.check(inputs, {
        ...inputs,
        indexUrl: "https://ci:s3cr3t-T0ken@pypi.example.org/simple",
      });
      assert.equal(r.inputs, undefined);
      const reason = r.failures?.[0].reason ?? "";
      assert.match(
        reason,
        /indexUrl: expected an http\(s\) URL without credentials, got https:\/\/\*\*\*@pypi/,
      );
      assert.doesNotMatch(reason, /s3cr3t/);
    });
  });

  describe("diff", () => {
    const p = new PipPackageProvider(noIo);

    it("sees no change when the unit matches the inputs", async () => {
      const d = await p.diff("id", outputs, inputs);
      assert.deepEqual(d, { changes: false, replaces: [], deleteBeforeReplace: true });
    });

    itUpdatesInPlace(p, outputs, inputs, [
      ["version", "1.4.1"],
      ["version", UNKNOWN],
      ["indexUrl", ""],
      ["entryPointGroup", "magnum.template_drivers"],
      ["entryPointName", "k8s_fedora"],
      ["rollbackVersion", "1.2.0"],
      ["destroyMode", "remove"],
    ]);

    itReplaces(p, outputs, inputs, [
      ["unit", "magnum/1"],
      ["package", "other"],
    ]);

    for (const [key, value] of [
      ["installedVersion", "1.3.0"],
      ["installedVersion", ""],
      ["entryPoints", "k8s_fedora"],
    ]) {
      it(`sees drift when read found ${key}=${JSON.stringify(value)}`, async () => {
        const d = await p.diff("id", { ...outputs, [key]: value }, inputs);
        assert.equal(d.changes, true);
        assert.deepEqual(d.replaces, []);
      });
    }
  });

  describe("create", () => {
    it("installs in one call without stdin and returns what it measured", async () => {
      const t = new FakeTransport(() => liveReply);
      const r = await new PipPackageProvider(t.connect).create(inputs);
      assert.equal(t.calls.length, 1);
      assert.equal(t.calls[0].opts.stdin, undefined);
      assert.equal(t.calls[0].opts.timeoutMs, 900_000);
      assert.equal(r.id, `${UNIT}:pip:magnum-capi-helm`);
      assert.match(String(r.outs?.changedAt), /^\d{4}-\d\d-\d\dT/, "a real write moves changedAt");
      assert.deepEqual({ ...r.outs, changedAt: "" }, outputs);
    });

    it("keeps an index URL with quotes and $(...) literal in a script that parses", async () => {
      const indexUrl = `https://pypi.example.org/it's"$(reboot)"/simple`;
      const news = { ...inputs, indexUrl };
      assert.deepEqual(await new PipPackageProvider(noIo).check(inputs, news), { inputs: news });
      const t = new FakeTransport(() => liveReply);
      await new PipPackageProvider(t.connect).create(news);
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
          new PipPackageProvider(t.connect).create(inputs),
          /on magnum\/0: expected version 1\.4\.0 with entry point k8s_capi_helm_v1 in magnum\.drivers; saw .*pulumi destroy/,
        );
      });
    }

    itReportsFailuresOf(
      "pip install magnum-capi-helm==1.4.0",
      (t) => new PipPackageProvider(t.connect).create(inputs),
      "version",
    );
  });

  describe("update", () => {
    for (const [key, value] of [
      ["destroyMode", "remove"],
      ["rollbackVersion", "1.2.0"],
    ]) {
      it(`touches nothing when only ${key} changed`, async () => {
        const news = { ...inputs, [key]: value };
        const r = await new PipPackageProvider(noIo).update("id", outputs, news);
        assert.deepEqual(r.outs, { ...outputs, [key]: value });
      });
    }

    it("installs in one call when the version changed", async () => {
      const t = new FakeTransport(() => ok({ version: "1.4.1", entry_points: outputs.entryPoints }));
      const r = await new PipPackageProvider(t.connect).update("id", outputs, {
        ...inputs,
        version: "1.4.1",
      });
      assert.equal(t.calls.length, 1);
      assert.equal(r.outs?.installedVersion, "1.4.1");
    });

    // entryPoints were measured in the old group: they say nothing about the new one.
    it("measures the new entry point group instead of reusing the old group's names", async () => {
      const t = new FakeTransport(() => ok({ version: "1.4.0", entry_points: "k8s_capi_helm_v1" }));
      const news = { ...inputs, entryPointGroup: "magnum.template_drivers" };
      await new PipPackageProvider(t.connect).update("id", outputs, news);
      assert.equal(t.calls.length, 1);
    });
  });

  describe("read", () => {
    it("re-measures in one call without stdin", async () => {
      const t = new FakeTransport(() => ok({ version: "", entry_points: "" }));
      const r = await new PipPackageProvider(t.connect).read("id", outputs);
      assert.equal(t.calls.length, 1);
      assert.equal(t.calls[0].opts.stdin, undefined);
      assert.equal(parseErrors(scriptOf(t.calls[0])), "");
      assert.deepEqual(r.props, { ...outputs, installedVersion: "", entryPoints: "" });
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
      (t) => new PipPackageProvider(t.connect).delete("id", outputs),
      undefined,
    );
  });
});
