import { RemoteScriptProvider } from "../../providers/kernel";
import assert from "assert/strict";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { ManagedBlockInputs, MANAGED_BLOCK } from "../../providers/managedBlock";
import { parseResults } from "../../providers/remote";
import { BLOCK_CONTRACT, blockSha, CONFIG_DIR } from "./contracts";
import {
  deleteScriptOf,
  FakeTransport,
  NASTY,
  ok,
  parseErrors,
  runLocally,
  scriptOf,
  tempDirPerTest,
  valueOf,
} from "./harness";

const { inputs, outputs, liveReply } = BLOCK_CONTRACT;

const deleteScript = (destroyMode: "rollback" | "remove", o = outputs) =>
  deleteScriptOf((c) => new RemoteScriptProvider(MANAGED_BLOCK, c), { ...o, destroyMode });

describe("MANAGED_BLOCK", () => {
  describe("create", () => {
    it("keeps hostile block text literal in a script that parses", async () => {
      const t = new FakeTransport(() => liveReply);
      await new RemoteScriptProvider(MANAGED_BLOCK, t.connect)
        .create({ ...inputs, block: NASTY })
        .catch(() => 0);
      const script = scriptOf(t.calls[0]);
      assert.equal(parseErrors(script), "");
      assert.equal(valueOf(script, "end=", "begin"), `# BEGIN ${inputs.marker}`);
    });

    it("fails when show-args does not verify after writing", async () => {
      const t = new FakeTransport(() => ok({ ...parseResults(liveReply.stdout), show_args_ok: "0" }));
      await assert.rejects(
        new RemoteScriptProvider(MANAGED_BLOCK, t.connect).create(inputs),
        /did not verify after writing/,
      );
    });
  });

  describe("delete", () => {
    it("restores the snapshot on rollback and cuts the block out on remove", async () => {
      const rollback = await deleteScript("rollback");
      const remove = await deleteScript("remove");
      assert.equal(parseErrors(rollback), "");
      assert.equal(parseErrors(remove), "");
      assert.match(rollback, /\nrestore '\/etc\/default\/magnum-conductor' rollback\n$/);
      assert.doesNotMatch(rollback, /has_block "\$path"/);
      assert.match(remove, /if has_block "\$path"; then/);
      assert.doesNotMatch(remove, /\nrestore /);
    });
  });

  describe("the apply script, run here", () => {
    const tmp = tempDirPerTest();

    /** Runs the apply script against a file holding `before`, with an init script whose show-args prints `shows`. */
    async function apply(i: Partial<ManagedBlockInputs>, before: string | undefined, shows: string) {
      const initScript = join(tmp(), "init");
      const calls = join(tmp(), "show-args.calls");
      writeFileSync(
        initScript,
        `#!/bin/bash\n[ "$1" = show-args ] && echo >> '${calls}' && printf '%s\\n' '${shows}'\n`,
      );
      chmodSync(initScript, 0o755);
      const path = join(tmp(), "magnum-conductor");
      if (before === undefined) rmSync(path, { force: true });
      else writeFileSync(path, before);
      const t = new FakeTransport(() => liveReply);
      const o = { ...outputs, initScript, path, ...i };
      await new RemoteScriptProvider(MANAGED_BLOCK, t.connect).create(o).catch(() => 0);
      const r = runLocally(scriptOf(t.calls[0]), join(tmp(), "state"));
      const showArgsRuns = existsSync(calls) ? readFileSync(calls, "utf8").length : 0;
      const after = existsSync(path) ? readFileSync(path, "utf8") : undefined;
      return { r, results: parseResults(r.stdout), after, o, showArgsRuns };
    }

    it("replaces the block in place, keeps the rest, and measures the digest diff expects", async () => {
      const block = `${inputs.block}\n# ${NASTY}`;
      const before = `A=1\n# BEGIN ${inputs.marker}\nold\n# END ${inputs.marker}\nB=2\n`;
      const { r, results, after, showArgsRuns } = await apply({ block }, before, `-x ${CONFIG_DIR}`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(after, `A=1\n# BEGIN ${inputs.marker}\n${block}\n# END ${inputs.marker}\nB=2\n`);
      assert.equal(results.changed, "1");
      assert.equal(results.block_sha, blockSha(block));
      assert.equal(results.show_args_ok, "1");
      assert.equal(results.show_args, `-x ${CONFIG_DIR}`);
      assert.equal(showArgsRuns, 1, "the gate's show-args is reused for the measurement");
    });

    it("leaves a file that already holds the block alone and runs show-args once", async () => {
      const before = `A=1\n# BEGIN ${inputs.marker}\n${inputs.block}\n# END ${inputs.marker}\n`;
      const { r, results, after, showArgsRuns } = await apply({}, before, CONFIG_DIR);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(after, before);
      assert.equal(results.changed, "0");
      assert.equal(results.block_sha, blockSha(inputs.block));
      assert.equal(results.show_args_ok, "1");
      assert.equal(showArgsRuns, 1);
    });

    it("puts the file back and names the missing show-args value literally when the gate fails", async () => {
      const { r, results, after } = await apply({ showArgsMustContain: [NASTY] }, "A=1\n", "-x");
      assert.equal(r.code, 3, r.stderr);
      assert.equal(after, "A=1\n");
      assert.equal(results["fail.expected"], `show-args showing ${NASTY}`);
    });

    it("owes a restart after a change, none after a refused gate, and keeps one owed before", async () => {
      const pending = () => existsSync(join(tmp(), "state", "restart-pending"));
      const changed = await apply({}, "A=1\n", CONFIG_DIR);
      assert.equal(changed.r.code, 0, changed.r.stderr);
      assert.ok(pending(), "the new block is owed a restart");
      rmSync(join(tmp(), "state"), { recursive: true });
      for (const [before, name] of [
        ["A=1\n", "a file it was put back into"],
        [undefined, "a file it removed again"],
      ] as const) {
        const refused = await apply({ showArgsMustContain: ["--absent"] }, before, "-x");
        assert.equal(refused.r.code, 3, refused.r.stderr);
        assert.ok(!pending(), `no restart owed for ${name}`);
      }
      writeFileSync(join(tmp(), "state", "restart-pending"), "");
      const refused = await apply({ showArgsMustContain: ["--absent"] }, "A=1\n", "-x");
      assert.equal(refused.r.code, 3, refused.r.stderr);
      assert.ok(pending(), "a restart another step owed stays owed");
    });

    for (const mode of ["rollback", "remove"] as const) {
      it(`gives the file back as it was on delete in ${mode} mode`, async () => {
        const { r, after, o } = await apply({}, "A=1\n", CONFIG_DIR);
        assert.equal(r.code, 0, r.stderr);
        assert.notEqual(after, "A=1\n");
        const d = runLocally(await deleteScript(mode, o), join(tmp(), "state"));
        assert.equal(d.code, 0, d.stderr);
        assert.equal(readFileSync(o.path, "utf8"), "A=1\n");
      });
    }
  });
});
