import assert from "assert/strict";
import { existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { PRELUDE } from "../../providers/prelude";
import { isGateError } from "../../providers/errors";
import { need, parseResults, runScript } from "../../providers/remote";
import { shq } from "../../core/shell";
import {
  FakeTransport,
  JUJU,
  NASTY,
  ok,
  parseErrors,
  runLocally,
  scriptOf,
  tempDirPerTest,
  UNIT,
  valueOf,
} from "./harness";

const target = { transport: JUJU, unit: UNIT };

describe("remote", () => {
  describe("parseResults", () => {
    it("takes key=value lines, keeps = in values, drops CR and ignores everything else", () => {
      const stdout = "a=1\r\nnoise\nfail.seen=x=y; z\n=nokey\nb=\n@@progress c=3\na=2";
      assert.deepEqual(parseResults(stdout), { a: "2", "fail.seen": "x=y; z", b: "" });
    });
  });

  describe("need", () => {
    it("returns a reported value, the empty one too, and names step, unit and key for a missing one", () => {
      assert.equal(need({ version: "" }, "version", "measure", UNIT), "");
      assert.throws(() => need({}, "version", "measure x", UNIT), {
        message: "measure x on magnum/0: the remote script reported no version",
      });
    });
  });

  describe("shq", () => {
    it("gives bash back every string unchanged", () => {
      for (const value of [NASTY, "", "'", "''", "a\nb", "-n", "*", "~root", "!x", "\t$'\\x41'"]) {
        assert.equal(valueOf(`v=${shq(value)}\nend`, "end", "v"), value, JSON.stringify(value));
      }
    });
  });

  describe("runScript", () => {
    it("sends PRELUDE and the body as one sudo bash -c word, with the payload and deadline", async () => {
      const t = new FakeTransport(() => ok({ a: "1" }));
      const stdin = Buffer.from("payload");
      const r = await runScript(t.connect, target, "step", `v=${shq(NASTY)}`, { stdin, timeoutSeconds: 7 });
      assert.deepEqual(r, { a: "1" });
      assert.equal(t.calls.length, 1);
      assert.equal(t.calls[0].unit, UNIT);
      assert.equal(t.calls[0].opts.stdin, stdin);
      assert.equal(t.calls[0].opts.timeoutMs, 7000);
      const script = scriptOf(t.calls[0]);
      assert.equal(script, `${PRELUDE}\nv=${shq(NASTY)}\n`);
      assert.equal(parseErrors(script), "");
    });

    it("says ? for a gate that reported neither expectation nor sight", async () => {
      const t = new FakeTransport(() => ({ code: 3, stdout: "", stderr: "" }));
      await assert.rejects(
        runScript(t.connect, target, "step", "gate", { timeoutSeconds: 1 }),
        (e: Error) => {
          assert.ok(isGateError(e));
          assert.match(e.message, /^step on magnum\/0: expected \?; saw \?\. /);
          return true;
        },
      );
    });

    it("reports no output for a silent failure", async () => {
      const t = new FakeTransport(() => ({ code: 1, stdout: "", stderr: "\n" }));
      await assert.rejects(
        runScript(t.connect, target, "step", "false", { timeoutSeconds: 1 }),
        /^Error: step on magnum\/0: remote script exited 1: \(no output\)\./,
      );
    });
  });

  describe("PRELUDE, run here", () => {
    const tmp = tempDirPerTest();
    const run = (body: string) => {
      const r = runLocally(`${PRELUDE}\n${body}\n`, join(tmp(), "state"));
      assert.equal(r.code, 0, r.stderr);
      return r;
    };

    it("reports results, progress and failed gates the way runScript reads them", () => {
      const r = runLocally(`${PRELUDE}\nemit a 1\nsay hello world\ngate "x y" "z"\nemit b 2\n`, tmp());
      assert.equal(r.code, 3);
      assert.deepEqual(parseResults(r.stdout), { a: "1", "fail.expected": "x y", "fail.seen": "z" });
      assert.equal(r.stderr, "@@progress hello world\n");
    });

    it("snapshots once and puts the original back on rollback, owing a restart", () => {
      const f = join(tmp(), "magnum.conf");
      writeFileSync(f, "original\n");
      run(`snapshot ${shq(f)}; echo graft > ${shq(f)}; snapshot ${shq(f)}; echo again > ${shq(f)}`);
      run(`restore ${shq(f)} rollback`);
      assert.equal(readFileSync(f, "utf8"), "original\n");
      assert.ok(existsSync(join(tmp(), "state", "restart-pending")));
    });

    it("keeps a path the graft created on rollback and deletes it on remove", () => {
      const f = join(tmp(), "new.conf");
      run(`snapshot ${shq(f)}; echo graft > ${shq(f)}`);
      run(`restore ${shq(f)} rollback`);
      assert.equal(readFileSync(f, "utf8"), "graft\n");
      run(`restore ${shq(f)} remove`);
      assert.equal(existsSync(f), false);
      // The snapshot is forgotten: a second remove finds nothing to do.
      writeFileSync(f, "someone else's\n");
      run(`restore ${shq(f)} remove`);
      assert.equal(readFileSync(f, "utf8"), "someone else's\n");
    });
  });
});
