import { RemoteScriptProvider } from "../../providers/kernel";
import assert from "assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "fs";
import { join } from "path";
import { sha256 } from "../../providers/diffing";
import { parseResults } from "../../providers/remote";
import { RemoteFileInputs, REMOTE_FILE } from "../../providers/remoteFile";
import { FILE_CONTRACT, SECRET } from "./contracts";
import {
  RESTORING_DELETES,
  deleteScriptOf,
  FakeTransport,
  gateFailed,
  ok,
  parseErrors,
  runLocally,
  scriptOf,
  tempDirPerTest,
  valueOf,
} from "./harness";

const { inputs, outputs, liveReply } = FILE_CONTRACT;

function assertNoSecret(value: unknown): void {
  assert.ok(!JSON.stringify(value).includes("s3cr3t"), "the secret leaked");
}

describe("REMOTE_FILE", () => {
  describe("create", () => {
    it("sends a script that parses, carries the path and digest as literal values, and never the secret", async () => {
      const t = new FakeTransport(() => liveReply);
      await new RemoteScriptProvider(REMOTE_FILE, t.connect).create(inputs);
      assertNoSecret(t.calls[0].commandLine);
      const script = scriptOf(t.calls[0]);
      assert.equal(parseErrors(script), "");
      assert.equal(valueOf(script, "dir=", "path"), inputs.path);
      assert.equal(valueOf(script, "mode=", "want"), sha256(SECRET));
    });

    it("fails, without the secret, when the unit reports another digest", async () => {
      const t = new FakeTransport(() => ok({ ...parseResults(liveReply.stdout), sha256: "absent" }));
      const e = await new RemoteScriptProvider(REMOTE_FILE, t.connect).create(inputs).then(
        () => assert.fail("create succeeded"),
        (err: Error) => err,
      );
      assert.match(e.message, /expected sha256 [0-9a-f]{64} on the unit; saw absent/);
      assertNoSecret(e.message);
    });

    it("keeps the secret out of every failure message", async () => {
      for (const reply of [
        gateFailed("a payload of sha256 abc", "sha256 def over 3 bytes"),
        { code: 1, stdout: "", stderr: "mktemp: failed\n" },
      ]) {
        const t = new FakeTransport(() => reply);
        await assert.rejects(new RemoteScriptProvider(REMOTE_FILE, t.connect).create(inputs), (e: Error) => {
          assertNoSecret(e.message);
          return true;
        });
      }
    });
  });

  describe("delete", () => {
    for (const [mode, hasOriginal] of RESTORING_DELETES) {
      it(`restores the path and its directory in ${mode} mode, from the outputs alone (original recorded: ${hasOriginal})`, async () => {
        const script = await deleteScriptOf((c) => new RemoteScriptProvider(REMOTE_FILE, c), {
          ...outputs,
          destroyMode: mode,
          hasOriginal,
        });
        assert.equal(parseErrors(script), "");
        assert.deepEqual(
          script.split("\n").filter((l) => l.startsWith("restore ")),
          [
            `restore '/etc/magnum/magnum-capi.conf' '${mode}'`,
            `restore "$(dirname -- '/etc/magnum/magnum-capi.conf')" '${mode}'`,
          ],
        );
      });
    }
  });

  describe("the apply script, run here", () => {
    const tmp = tempDirPerTest();

    async function applyScript(i: RemoteFileInputs): Promise<string> {
      const t = new FakeTransport(() => liveReply);
      await new RemoteScriptProvider(REMOTE_FILE, t.connect).create(i).catch(() => undefined);
      return scriptOf(t.calls[0]);
    }

    it("writes exactly the payload with its mode and reports what it wrote", async () => {
      const i = { ...inputs, path: join(tmp(), "etc", "capi.conf"), ownerFromService: "" };
      const r = runLocally(await applyScript(i), join(tmp(), "state"), Buffer.from(SECRET));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(i.path, "utf8"), SECRET);
      assert.equal((statSync(i.path).mode & 0o777).toString(8), "640");
      assert.deepEqual(parseResults(r.stdout), {
        expected_owner: "root",
        changed: "1",
        sha256: sha256(SECRET),
        mode: "0640",
        owner: "root",
        has_original: "0",
      });
    });

    it("reports an original kept for a file that existed before, and none for one it added", async () => {
      const kept = join(tmp(), "kept.conf");
      writeFileSync(kept, "before\n");
      const state = join(tmp(), "state");
      const r = runLocally(
        await applyScript({ ...inputs, path: kept, ownerFromService: "" }),
        state,
        Buffer.from(SECRET),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(parseResults(r.stdout).has_original, "1");
      const again = runLocally(
        await applyScript({ ...inputs, path: kept, ownerFromService: "" }),
        state,
        Buffer.from(SECRET),
      );
      assert.equal(parseResults(again.stdout).has_original, "1", "still kept when nothing changed");
    });

    it("leaves the file as it was when the payload arrives short", async () => {
      const path = join(tmp(), "capi.conf");
      writeFileSync(path, "before\n");
      const script = await applyScript({ ...inputs, path, ownerFromService: "" });
      const r = runLocally(script, join(tmp(), "state"), Buffer.from(SECRET.slice(0, 10)));
      assert.equal(r.code, 3);
      assert.match(
        parseResults(r.stdout)["fail.seen"],
        /over 10 bytes received; the file was left as it was/,
      );
      assert.equal(readFileSync(path, "utf8"), "before\n");
    });

    for (const [gate, payload] of [
      ["payload", SECRET.slice(0, 10)],
      ["ASCII", "caf\u00e9\n"],
    ]) {
      it(`takes back a directory it made when the ${gate} gate refuses the payload`, async () => {
        const dir = join(tmp(), "conf.d");
        const i = { ...inputs, path: join(dir, "00.conf"), ownerFromService: "", asciiOnly: true };
        const script =
          gate === "ASCII" ? await applyScript({ ...i, content: payload }) : await applyScript(i);
        const r = runLocally(script, join(tmp(), "state"), Buffer.from(payload));
        assert.equal(r.code, 3, r.stderr);
        assert.match(parseResults(r.stdout)["fail.seen"], /; the file was left as it was$/);
        assert.equal(existsSync(dir), false);
      });
    }
  });
});
