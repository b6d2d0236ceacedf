import assert from "assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { JujuTransport } from "../../providers/transport/juju";
import { RunOptions } from "../../providers/transport/transport";
import { tempDirPerTest } from "./harness";

const MODEL = "admin/openstack";
const UNIT = "magnum/0";
const COMMAND = `sudo -n -- bash -c 'echo it'"'"'s here'`;

/** What the fake juju does, chosen per test; it records its argv, pid and stdin beside itself. */
const FAKE = String.raw`#!/bin/bash
here=$(dirname "$0")
printf '%s\0' "$@" > "$here/argv"
echo $$ > "$here/pid"
case "$(cat "$here/mode")" in
  status) cat "$here/status.json" ;;
  status-fails) echo "ERROR model not found" >&2; exit 1 ;;
  stdin) readlink /proc/$$/fd/0 > "$here/stdin-is"; cat > "$here/stdin"; echo "bytes=$(wc -c < "$here/stdin")" ;;
  exit) echo "remote says no" >&2; exit 7 ;;
  exit255) echo "ssh: connect to host 10.0.0.5 port 22: No route to host" >&2; exit 255 ;;
  signal) kill -9 $$ ;;
  hang) sleep 300 & echo $! > "$here/child"; wait ;;
  progress) printf '@@progress step one\nreal error\n@@progress step two\n' >&2; echo "ok=1" ;;
  split-utf8) printf '\303' >&2; sleep 0.3; printf '\251t\303\251 done\n' >&2; exit 1 ;;
esac
`;

const STATUS = {
  model: { name: "openstack" },
  machines: { "3": {} },
  applications: {
    keystone: { units: { "keystone/0": { "public-address": "10.0.0.2", machine: "1" } } },
    magnum: {
      units: {
        "magnum/0": { "public-address": "10.0.0.5", machine: "3" },
        "magnum/1": { machine: "4" },
      },
    },
  },
};

/** Whether a process is gone; an unreaped zombie counts as gone, it runs nothing. */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z");
  } catch {
    return true;
  }
}

describe("JujuTransport", () => {
  const tmp = tempDirPerTest();
  const savedPath = process.env.PATH;
  const mode = (m: string) => writeFileSync(join(tmp(), "mode"), m);

  beforeEach(() => {
    writeFileSync(join(tmp(), "juju"), FAKE);
    chmodSync(join(tmp(), "juju"), 0o755);
    writeFileSync(join(tmp(), "status.json"), JSON.stringify(STATUS));
    process.env.PATH = `${tmp()}:${savedPath}`;
  });
  afterEach(() => (process.env.PATH = savedPath));

  const argv = () => readFileSync(join(tmp(), "argv"), "utf8").split("\0").slice(0, -1);
  const run = (opts: Partial<RunOptions> = {}, unit = UNIT) =>
    new JujuTransport({ kind: "juju", model: MODEL }).run(unit, COMMAND, { timeoutMs: 10_000, ...opts });

  it("passes the model, --pty=false, the unit and the command line as one argument, in that order", async () => {
    mode("stdin");
    await run();
    assert.deepEqual(argv(), ["ssh", "-m", MODEL, "--pty=false", UNIT, COMMAND]);
  });

  it("closes stdin (/dev/null) when there is no payload", async () => {
    mode("stdin");
    const r = await run();
    assert.deepEqual(r, { code: 0, stdout: "bytes=0\n", stderr: "" });
    assert.equal(readFileSync(join(tmp(), "stdin-is"), "utf8").trim(), "/dev/null");
  });

  it("forwards a payload byte for byte", async () => {
    mode("stdin");
    const payload = Buffer.concat([Buffer.from([0x61, 0x0d, 0x0a, 0x00, 0xff]), Buffer.alloc(300_000, 0xa5)]);
    const r = await run({ stdin: payload });
    assert.equal(r.stdout, `bytes=${payload.length}\n`);
    assert.deepEqual(readFileSync(join(tmp(), "stdin")), payload);
  });

  it("returns any other exit status with its stderr", async () => {
    mode("exit");
    assert.deepEqual(await run(), { code: 7, stdout: "", stderr: "remote says no\n" });
  });

  for (const [m, cause] of [
    ["exit255", /exit 255 .*No route to host/],
    ["signal", /exit 255/],
  ] as const) {
    it(`throws a ConnectionError naming the unit when juju ${m === "signal" ? "is killed" : "exits 255"}`, async () => {
      mode(m);
      await assert.rejects(run(), (e: Error) => {
        assert.equal(e.name, "ConnectionError");
        assert.match(e.message, /^juju ssh to magnum\/0 failed/);
        assert.match(e.message, cause);
        return true;
      });
    });
  }

  it("kills a hanging juju and everything it started at the deadline", async () => {
    mode("hang");
    const started = Date.now();
    await assert.rejects(run({ timeoutMs: 500 }), (e: Error) => {
      assert.equal(e.name, "TimeoutError");
      assert.match(e.message, /juju ssh to magnum\/0 did not finish within 1 s/);
      return true;
    });
    assert.ok(Date.now() - started < 5_000);
    const pids = ["pid", "child"].map((f) => Number(readFileSync(join(tmp(), f), "utf8")));
    for (let i = 0; i < 20 && !pids.every(gone); i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(pids.map(gone), [true, true]);
  });

  it("sends progress lines to onProgress and keeps them out of stderr", async () => {
    mode("progress");
    const seen: string[] = [];
    const r = await run({ onProgress: (l) => seen.push(l) });
    assert.deepEqual(seen, ["step one", "step two"]);
    assert.deepEqual(r, { code: 0, stdout: "ok=1\n", stderr: "real error\n" });
  });

  it("decodes UTF-8 on stderr even when a character arrives split across reads", async () => {
    mode("split-utf8");
    assert.equal((await run()).stderr, "été done\n");
  });

  it("rejects an invalid unit before starting juju", async () => {
    mode("stdin");
    await assert.rejects(run({}, "magnum/0; rm -rf /"), /unit: expected a unit name/);
    const t = new JujuTransport({ kind: "juju", model: MODEL });
    await assert.rejects(t.describeUnit("magnum/0 --help", 1000), /unit: expected a unit name/);
    assert.equal(existsSync(join(tmp(), "argv")), false);
  });

  it("rejects an invalid model", () => {
    assert.throws(
      () => new JujuTransport({ kind: "juju", model: "admin/openstack; reboot" }),
      /transport model/,
    );
  });

  it("says so when juju is not on PATH", async () => {
    process.env.PATH = "/nonexistent";
    await assert.rejects(run(), { name: "ConnectionError", message: /is juju on PATH/ });
  });

  describe("describeUnit", () => {
    const describeUnit = (unit: string) =>
      new JujuTransport({ kind: "juju", model: MODEL }).describeUnit(unit, 10_000);

    it("reads the unit's address and machine from juju status --format=json", async () => {
      mode("status");
      assert.deepEqual(await describeUnit("magnum/0"), { address: "10.0.0.5" });
      assert.deepEqual(argv(), ["status", "-m", MODEL, "--format=json"]);
      assert.deepEqual(await describeUnit("magnum/1"), { address: "" });
    });

    it("returns undefined for a unit the model does not have", async () => {
      mode("status");
      assert.equal(await describeUnit("magnum/7"), undefined);
    });

    it("throws a ConnectionError when juju status fails", async () => {
      mode("status-fails");
      await assert.rejects(describeUnit("magnum/0"), (e: Error) => {
        assert.equal(e.name, "ConnectionError");
        assert.match(e.message, /juju status -m admin\/openstack failed with exit 1: ERROR model not found/);
        return true;
      });
    });
  });
});
