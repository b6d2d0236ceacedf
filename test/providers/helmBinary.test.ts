import assert from "assert/strict";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { parseResults } from "../../providers/remote";
import { HelmBinaryInputs, HelmBinaryOutputs, HelmBinaryProvider } from "../../providers/helmBinary";
import {
  deleteCallCount,
  RESTORING_DELETES,
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

const inputs: HelmBinaryInputs = {
  transport: JUJU,
  unit: UNIT,
  version: "v3.17.3",
  tarballUrl: "https://get.helm.sh/helm-v3.17.3-linux-amd64.tar.gz",
  tarballSha256: "ee88b3c851ae6466a3de507f7be73fe94d54cbf2987cbaa3d1a3832ea331f2cd",
  installPath: "/usr/local/bin/helm",
  destroyMode: "rollback",
};
const outputs: HelmBinaryOutputs = { ...inputs, liveVersion: "v3.17.3+ge4da497", hasOriginal: "0" };
const liveReply = ok({
  changed: "1",
  version: outputs.liveVersion,
  path: inputs.installPath,
  has_original: "0",
});

describe("HelmBinaryProvider", () => {
  describe("check", () => {
    const p = new HelmBinaryProvider(noIo);

    it("passes valid inputs through, and an unpinned tarball", async () => {
      assert.deepEqual(await p.check(inputs, inputs), { inputs });
      const news = { ...inputs, tarballSha256: "" };
      assert.deepEqual(await p.check(inputs, news), { inputs: news });
    });

    itRejects(p, inputs, [
      ["unit", "magnum/0; rm -rf /"],
      ["version", "v3.17.3; reboot"],
      ["version", "3.17.3"],
      ["installPath", "/usr/local/bin/my helm"],
      ["tarballUrl", "https://get.helm.sh/helm v3.tar.gz"],
      ["tarballUrl", "ftp://get.helm.sh/helm.tar.gz"],
      ["tarballSha256", "$(reboot)"],
    ]);
  });

  describe("diff", () => {
    const p = new HelmBinaryProvider(noIo);

    it("sees no change when the unit runs the version, build suffix and all", async () => {
      const d = await p.diff("id", outputs, inputs);
      assert.deepEqual(d, { changes: false, replaces: [], deleteBeforeReplace: true });
    });

    itUpdatesInPlace(p, outputs, inputs, [
      ["version", "v3.18.0"],
      ["version", UNKNOWN],
      ["tarballUrl", "https://mirror.example.org/helm.tar.gz"],
      ["tarballSha256", ""],
      ["destroyMode", "remove"],
    ]);

    it("drops the TCP gate of state written while helm ran it: one rerun, in place", async () => {
      const gated = {
        ...outputs,
        gates: [{ kind: "tcp" as const, host: "10.0.0.9", port: 6443 }],
        guards: "g",
      };
      assert.deepEqual(await p.diff("id", gated, inputs), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: true,
      });
      const t = new FakeTransport(() => liveReply);
      const r = await new HelmBinaryProvider(t.connect).update(
        "id",
        { ...gated, gatesSeen: "TCP-OK" },
        inputs,
      );
      assert.equal(t.calls.length, 1);
      assert.ok(!scriptOf(t.calls[0]).includes("TCP-OK to"), "no gate runs");
      assert.deepEqual([r.outs?.gates, r.outs?.guards, r.outs?.gatesSeen], [undefined, undefined, undefined]);
    });

    itReplaces(p, outputs, inputs, [
      ["unit", "magnum/1"],
      ["installPath", "/usr/bin/helm"],
    ]);

    for (const live of ["", "v3.16.0+gabc", "v3.17.30"]) {
      it(`sees drift when read found helm ${JSON.stringify(live)}`, async () => {
        const d = await p.diff("id", { ...outputs, liveVersion: live }, inputs);
        assert.equal(d.changes, true);
      });
    }
  });

  describe("create", () => {
    it("installs in one call without stdin and returns the live version", async () => {
      const t = new FakeTransport(() => liveReply);
      const r = await new HelmBinaryProvider(t.connect).create(inputs);
      assert.equal(t.calls.length, 1);
      assert.equal(t.calls[0].opts.stdin, undefined);
      assert.equal(r.id, `${UNIT}:/usr/local/bin/helm`);
      assert.deepEqual(r.outs, outputs);
    });

    it("keeps a URL with quotes and $(...) literal in a script that parses", async () => {
      const tarballUrl = `https://get.helm.sh/it's"$(reboot)".tar.gz`;
      const news = { ...inputs, tarballUrl };
      assert.deepEqual(await new HelmBinaryProvider(noIo).check(inputs, news), { inputs: news });
      const t = new FakeTransport(() => liveReply);
      await new HelmBinaryProvider(t.connect).create(news);
      const script = scriptOf(t.calls[0]);
      assert.equal(parseErrors(script), "");
      assert.equal(valueOf(script, "measure()", "url"), tarballUrl);
      assert.equal(valueOf(script, "measure()", "sha"), inputs.tarballSha256);
      assert.equal(valueOf(script, "measure()", "dest"), inputs.installPath);
    });

    itReportsFailuresOf("helm v3.17.3", (t) => new HelmBinaryProvider(t.connect).create(inputs), "version");
  });

  describe("update", () => {
    for (const [key, value] of [
      ["destroyMode", "remove"],
      ["tarballUrl", "https://mirror.example.org/helm.tar.gz"],
    ]) {
      it(`touches nothing when the version is live and only ${key} changed`, async () => {
        const r = await new HelmBinaryProvider(noIo).update("id", outputs, { ...inputs, [key]: value });
        assert.deepEqual(r.outs, { ...outputs, [key]: value });
      });
    }

    it("installs in one call when the version changed", async () => {
      const t = new FakeTransport(() => ok({ version: "v3.18.0", has_original: "1" }));
      const r = await new HelmBinaryProvider(t.connect).update("id", outputs, {
        ...inputs,
        version: "v3.18.0",
      });
      assert.equal(t.calls.length, 1);
      assert.equal(r.outs?.liveVersion, "v3.18.0");
    });
  });

  describe("read", () => {
    it("re-measures in one call without stdin", async () => {
      const t = new FakeTransport(() => ok({ version: "", path: "", has_original: "0" }));
      const r = await new HelmBinaryProvider(t.connect).read("id", outputs);
      assert.equal(t.calls.length, 1);
      assert.equal(t.calls[0].opts.stdin, undefined);
      assert.equal(parseErrors(scriptOf(t.calls[0])), "");
      assert.deepEqual(r.props, { ...outputs, liveVersion: "" });
    });

    itReportsFailuresOf(
      "measure helm",
      (t) => new HelmBinaryProvider(t.connect).read("id", outputs),
      "version",
    );
  });

  describe("delete", () => {
    for (const [mode, hasOriginal] of RESTORING_DELETES) {
      it(`restores the install path in ${mode} mode, in one call (original recorded: ${hasOriginal})`, async () => {
        const script = await deleteScriptOf((c) => new HelmBinaryProvider(c), {
          ...outputs,
          destroyMode: mode,
          hasOriginal,
        });
        assert.equal(parseErrors(script), "");
        assert.ok(script.endsWith(`\nrestore '/usr/local/bin/helm' '${mode}'\n`), script.slice(-80));
      });
    }

    it("makes no call in rollback mode when the graft added helm (a rollback keeps it)", async () => {
      const props = { ...outputs, destroyMode: "rollback", hasOriginal: "0" } as const;
      assert.equal(await deleteCallCount((c) => new HelmBinaryProvider(c), props), 0);
    });
  });

  describe("the apply script, run here", () => {
    const tmp = tempDirPerTest();

    /** Runs the install with PATH = `pathDirs` (then the system's), an old helm in the first. */
    async function install(pathDirs: string[]) {
      const old = join(tmp(), "old-bin");
      mkdirSync(old);
      writeFileSync(join(old, "helm"), "#!/bin/sh\necho v3.16.0+g1a2b3c4\n");
      chmodSync(join(old, "helm"), 0o755);
      const dest = join(tmp(), "bin", "helm");
      const t = new FakeTransport(() => liveReply);
      await new HelmBinaryProvider(t.connect).create({ ...inputs, installPath: dest });
      const r = runLocally(scriptOf(t.calls[0]), join(tmp(), "state"), undefined, pathDirs.join(":"));
      return { r, results: parseResults(r.stdout), dest, old };
    }

    it("refuses, before downloading, an install that an earlier helm on PATH would shadow", async () => {
      const { r, results, dest, old } = await install([join(tmp(), "old-bin"), join(tmp(), "bin")]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(results["fail.expected"], `${dest} first on PATH`);
      assert.equal(results["fail.seen"], `${old}/helm comes before it; nothing was installed`);
      assert.equal(existsSync(dest), false);
    });

    it("refuses an install path whose directory is not on PATH", async () => {
      const { r, results, dest } = await install([]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(results["fail.expected"], `${join(tmp(), "bin")} on PATH`);
      assert.equal(existsSync(dest), false);
    });
  });
});
