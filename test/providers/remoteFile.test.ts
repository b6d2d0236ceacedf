import assert from "assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "fs";
import { join } from "path";
import { sha256 } from "../../providers/diffing";
import { parseResults } from "../../providers/remote";
import { RemoteFileInputs, RemoteFileOutputs, RemoteFileProvider } from "../../providers/remoteFile";
import {
  deleteCallCount,
  RESTORING_DELETES,
  deleteScriptOf,
  FakeTransport,
  gateFailed,
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

const SECRET = "[trust]\ntrustee_domain_admin_password = s3cr3t-Pa55\n";

const inputs: RemoteFileInputs = {
  transport: JUJU,
  unit: UNIT,
  path: "/etc/magnum/magnum-capi.conf",
  content: SECRET,
  mode: "0640",
  owner: "root",
  ownerFromService: "magnum-conductor",
  asciiOnly: true,
  restartOnChange: true,
  destroyMode: "rollback",
};

const measured = {
  sha256: sha256(SECRET),
  liveMode: "0640",
  liveOwner: "magnum",
  expectedOwner: "magnum",
  hasOriginal: "1",
};
const { content: _content, ...rest } = inputs;
const outputs: RemoteFileOutputs = { ...rest, ...measured, changedAt: "" };
const liveReply = ok({
  changed: "1",
  expected_owner: "magnum",
  sha256: sha256(SECRET),
  mode: "0640",
  owner: "magnum",
  has_original: "1",
});

function assertNoSecret(value: unknown): void {
  assert.ok(!JSON.stringify(value).includes("s3cr3t"), "the secret leaked");
}

describe("RemoteFileProvider", () => {
  describe("check", () => {
    const p = new RemoteFileProvider(noIo);

    it("passes valid inputs through", async () => {
      assert.deepEqual(await p.check(inputs, inputs), { inputs });
    });

    itRejects(p, inputs, [
      ["unit", "magnum/0; rm -rf /"],
      ["path", "/etc/$(reboot)"],
      ["path", "/etc/magnum/my file.conf"],
      ["path", "etc/magnum.conf"],
      ["mode", "0644; reboot"],
      ["owner", "root'"],
      ["ownerFromService", "magnum-conductor; reboot"],
    ]);
  });

  describe("diff", () => {
    const p = new RemoteFileProvider(noIo);

    it("sees no change when the unit matches the inputs", async () => {
      assert.deepEqual(await p.diff("id", outputs, inputs), {
        changes: false,
        replaces: [],
        deleteBeforeReplace: true,
      });
    });

    itUpdatesInPlace(p, outputs, inputs, [
      ["mode", "0600"],
      ["owner", "magnum"],
      ["ownerFromService", ""],
      ["asciiOnly", false],
      ["restartOnChange", false],
      ["destroyMode", "remove"],
      ["transport", { kind: "direct", user: "ubuntu", port: 22, privateKeyPath: "/k", host: "10.0.0.5" }],
      ["content", "other"],
      ["content", UNKNOWN],
      ["mode", UNKNOWN],
    ]);

    itReplaces(p, outputs, inputs, [
      ["unit", "magnum/1"],
      ["path", "/etc/magnum/other.conf"],
      ["unit", UNKNOWN],
    ]);

    for (const [key, value] of [
      ["sha256", "absent"],
      ["liveMode", "0644"],
      ["liveOwner", "root"],
    ]) {
      it(`sees drift when read found ${key}=${value}`, async () => {
        const d = await p.diff("id", { ...outputs, [key]: value }, inputs);
        assert.equal(d.changes, true);
        assert.deepEqual(d.replaces, []);
      });
    }
  });

  describe("create", () => {
    it("writes through one call whose only stdin is the content, and never returns the content", async () => {
      const t = new FakeTransport(() => liveReply);
      const r = await new RemoteFileProvider(t.connect).create(inputs);
      assert.equal(t.calls.length, 1);
      const [call] = t.calls;
      assert.equal(call.unit, UNIT);
      assert.ok(call.commandLine.startsWith("sudo -n -- bash -c '"));
      assert.deepEqual(call.opts.stdin, Buffer.from(SECRET, "utf8"));
      assertNoSecret(call.commandLine);
      assert.equal(r.id, `${UNIT}:${inputs.path}`);
      assert.match(String(r.outs?.changedAt), /^\d{4}-\d\d-\d\dT/, "a real write moves changedAt");
      assert.deepEqual({ ...r.outs, changedAt: "" }, outputs);
      assert.ok(r.outs);
      assert.equal("content" in r.outs, false);
    });

    it("sends a script that parses and carries the path and digest as literal values", async () => {
      const t = new FakeTransport(() => liveReply);
      await new RemoteFileProvider(t.connect).create(inputs);
      const script = scriptOf(t.calls[0]);
      assert.equal(parseErrors(script), "");
      assert.equal(valueOf(script, "dir=", "path"), inputs.path);
      assert.equal(valueOf(script, "mode=", "want"), sha256(SECRET));
    });

    it("fails, without the secret, when the unit reports another digest", async () => {
      const t = new FakeTransport(() => ok({ ...parseResults(liveReply.stdout), sha256: "absent" }));
      const e = await new RemoteFileProvider(t.connect).create(inputs).then(
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
        await assert.rejects(new RemoteFileProvider(t.connect).create(inputs), (e: Error) => {
          assertNoSecret(e.message);
          return true;
        });
      }
    });

    itReportsFailuresOf(
      `write ${inputs.path}`,
      (t) => new RemoteFileProvider(t.connect).create(inputs),
      "sha256",
    );
  });

  describe("update", () => {
    it("touches nothing when only destroyMode changed", async () => {
      const r = await new RemoteFileProvider(noIo).update("id", outputs, {
        ...inputs,
        destroyMode: "remove",
      });
      assert.deepEqual(r.outs, { ...outputs, destroyMode: "remove" });
    });

    it("records a new transport without a call: the unit is reached another way, nothing on it changes", async () => {
      const transport = {
        kind: "jumphost",
        host: "10.0.0.9",
        port: 22,
        user: "ubuntu",
        privateKeyPath: "/k",
      };
      const r = await new RemoteFileProvider(noIo).update("id", outputs, { ...inputs, transport } as never);
      assert.deepEqual(r.outs, { ...outputs, transport });
    });

    it("rewrites the file, with the new content as stdin, when the content changed", async () => {
      const t = new FakeTransport(() => ok({ ...parseResults(liveReply.stdout), sha256: sha256("new") }));
      const r = await new RemoteFileProvider(t.connect).update("id", outputs, { ...inputs, content: "new" });
      assert.equal(t.calls.length, 1);
      assert.deepEqual(t.calls[0].opts.stdin, Buffer.from("new"));
      assert.equal(r.outs?.sha256, sha256("new"));
      assert.ok(r.outs);
      assert.equal("content" in r.outs, false);
    });
  });

  describe("read", () => {
    it("re-measures in one call without stdin", async () => {
      const t = new FakeTransport(() =>
        ok({ expected_owner: "magnum", sha256: "absent", mode: "none", owner: "none", has_original: "0" }),
      );
      const r = await new RemoteFileProvider(t.connect).read("id", outputs);
      assert.equal(t.calls.length, 1);
      assert.equal(t.calls[0].opts.stdin, undefined);
      assert.equal(parseErrors(scriptOf(t.calls[0])), "");
      assert.deepEqual(r, {
        id: "id",
        props: { ...outputs, sha256: "absent", liveMode: "none", liveOwner: "none", hasOriginal: "0" },
      });
    });
  });

  describe("delete", () => {
    for (const [mode, hasOriginal] of RESTORING_DELETES) {
      it(`restores the path and its directory in ${mode} mode, from the outputs alone (original recorded: ${hasOriginal})`, async () => {
        const script = await deleteScriptOf((c) => new RemoteFileProvider(c), {
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

    it("makes no call in rollback mode for a file the graft added (a rollback keeps it)", async () => {
      const props = { ...outputs, destroyMode: "rollback", hasOriginal: "0" } as const;
      assert.equal(await deleteCallCount((c) => new RemoteFileProvider(c), props), 0);
    });
  });

  describe("the apply script, run here", () => {
    const tmp = tempDirPerTest();

    async function applyScript(i: RemoteFileInputs): Promise<string> {
      const t = new FakeTransport(() => liveReply);
      await new RemoteFileProvider(t.connect).create(i).catch(() => undefined);
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
