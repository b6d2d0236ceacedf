import { RemoteScriptProvider } from "../../providers/kernel";
import assert from "assert/strict";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { parseResults } from "../../providers/remote";
import { HELM_BINARY } from "../../providers/helmBinary";
import { HELM_CONTRACT } from "./contracts";
import {
  RESTORING_DELETES,
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

const { inputs, outputs, liveReply } = HELM_CONTRACT;

describe("HELM_BINARY", () => {
  describe("diff", () => {
    const p = new RemoteScriptProvider(HELM_BINARY, noIo);

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
      const r = await new RemoteScriptProvider(HELM_BINARY, t.connect).update(
        "id",
        { ...gated, gatesSeen: "TCP-OK" },
        inputs,
      );
      assert.equal(t.calls.length, 1);
      assert.ok(!scriptOf(t.calls[0]).includes("TCP-OK to"), "no gate runs");
      assert.deepEqual([r.outs?.gates, r.outs?.guards, r.outs?.gatesSeen], [undefined, undefined, undefined]);
    });
  });

  describe("create", () => {
    it("keeps a URL with quotes and $(...) literal in a script that parses", async () => {
      const tarballUrl = `https://get.helm.sh/it's"$(reboot)".tar.gz`;
      const news = { ...inputs, tarballUrl };
      assert.deepEqual(await new RemoteScriptProvider(HELM_BINARY, noIo).check(inputs, news), {
        inputs: news,
      });
      const t = new FakeTransport(() => liveReply);
      await new RemoteScriptProvider(HELM_BINARY, t.connect).create(news);
      const script = scriptOf(t.calls[0]);
      assert.equal(parseErrors(script), "");
      assert.equal(valueOf(script, "measure()", "url"), tarballUrl);
      assert.equal(valueOf(script, "measure()", "sha"), inputs.tarballSha256);
      assert.equal(valueOf(script, "measure()", "dest"), inputs.installPath);
    });
  });

  describe("read", () => {
    itReportsFailuresOf(
      "measure helm",
      (t) => new RemoteScriptProvider(HELM_BINARY, t.connect).read("id", outputs),
      "version",
    );
  });

  describe("delete", () => {
    for (const [mode, hasOriginal] of RESTORING_DELETES) {
      it(`restores the install path in ${mode} mode, in one call (original recorded: ${hasOriginal})`, async () => {
        const script = await deleteScriptOf((c) => new RemoteScriptProvider(HELM_BINARY, c), {
          ...outputs,
          destroyMode: mode,
          hasOriginal,
        });
        assert.equal(parseErrors(script), "");
        assert.ok(script.endsWith(`\nrestore '/usr/local/bin/helm' '${mode}'\n`), script.slice(-80));
      });
    }
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
      await new RemoteScriptProvider(HELM_BINARY, t.connect).create({ ...inputs, installPath: dest });
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
