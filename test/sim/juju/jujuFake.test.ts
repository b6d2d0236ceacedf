import * as assert from "assert";
import { spawn } from "child_process";
import { run } from "../unit/processes";
import { SimUnit } from "../unit/simUnit";
import { removeDir, sharedArtifacts, tempDir } from "../unit/testSupport";
import { JujuFake } from "./jujuFake";

describe("JujuFake: juju ssh / juju status against a SimUnit", function () {
  let unit: SimUnit;
  let juju: JujuFake;
  let unitDir: string;
  let jujuDir: string;

  const jujuRun = (args: string[], stdin?: string, timeoutMs?: number) =>
    run("juju", args, {
      stdin: stdin === undefined ? undefined : Buffer.from(stdin),
      timeoutMs,
      env: { ...process.env, PATH: `${juju.binDir}:${process.env.PATH}` },
    }).then((r) => ({ code: r.code, stdout: r.stdout.toString(), stderr: r.stderr.toString() }));
  const ssh = (command: string, stdin?: string, flags = ["--pty=false"]) =>
    jujuRun(["ssh", "-m", "openstack", ...flags, "magnum/0", command], stdin);

  before(async function () {
    unitDir = tempDir("juju-unit");
    jujuDir = tempDir("juju");
    const artifacts = await sharedArtifacts();
    unit = await SimUnit.start({
      unit: "magnum/0",
      address: "10.12.4.76",
      machine: "1/lxd/2",
      workDir: unitDir,
      artifacts,
    });
    juju = await JujuFake.create(jujuDir, "openstack", [unit]);
  });

  after(async function () {
    await unit?.stop();
    removeDir(unitDir);
    removeDir(jujuDir);
  });

  beforeEach(async function () {
    await juju.setKnobs({});
  });

  it("runs the joined command as ubuntu in its home and returns its exit status", async function () {
    const r = await jujuRun(["ssh", "-mopenstack", "magnum/0", "id", "-un;", "pwd;", "exit", "7"]);
    assert.deepStrictEqual(r, { code: 7, stdout: "ubuntu\n/home/ubuntu\n", stderr: "" });
    assert.strictEqual((await jujuRun(["ssh", "--model=openstack", "1/lxd/2", "sudo -n true"])).code, 0);
  });

  it("always forwards stdin, and logs its size but never its content", async function () {
    const payload = Buffer.from("kubeconfig-payload\n").toString("base64");
    const r = await ssh(
      "sudo bash -c 'umask 077; base64 -d > /etc/magnum/kubeconfig' && sudo cat /etc/magnum/kubeconfig",
      payload,
    );
    assert.strictEqual(r.stdout, "kubeconfig-payload\n");
    const eaten = await ssh("cat >/dev/null; echo second", "pipe for someone else");
    assert.strictEqual(eaten.stdout, "second\n");
    const calls = await juju.calls();
    const last = calls.slice(-2);
    assert.deepStrictEqual(
      last.map((c) => [c.index, c.unit, c.stdinBytes, c.exit]),
      [
        [1, "magnum/0", payload.length, 0],
        [2, "magnum/0", "pipe for someone else".length, 0],
      ],
    );
    assert.ok(last[0].end >= last[0].start);
    assert.ok(!JSON.stringify(calls).includes(payload), "stdin content leaked into the call log");
  });

  it("turns LF into CRLF and merges stderr with --pty=true", async function () {
    const r = await ssh("echo out; echo err >&2", undefined, ["--pty=true"]);
    assert.strictEqual(r.stdout, "out\r\nerr\r\n");
    assert.strictEqual(r.stderr, "");
  });

  it("fails with 255 without running the command on exit255OnCall", async function () {
    await juju.setKnobs({ exit255OnCall: 2 });
    assert.strictEqual((await ssh("true")).code, 0);
    const r = await ssh("touch /tmp/ran-on-2");
    assert.strictEqual(r.code, 255);
    assert.match(r.stderr, /^ERROR .*connect/);
    assert.strictEqual(await unit.readFile("/tmp/ran-on-2"), undefined);
  });

  it("runs the command, drops its output and exits 255 on exit255AfterRunOnCall", async function () {
    await juju.setKnobs({ exit255AfterRunOnCall: 1 });
    const r = await ssh("touch /tmp/ran-on-1; echo visible");
    assert.strictEqual(r.code, 255);
    assert.strictEqual(r.stdout, "");
    assert.ok(await unit.readFile("/tmp/ran-on-1"));
  });

  it("forwards empty stdin on dropStdinOnCall and delays by latencyMs", async function () {
    await juju.setKnobs({ dropStdinOnCall: 1, latencyMs: 300 });
    const started = Date.now();
    const r = await ssh("wc -c", "lost payload");
    assert.strictEqual(r.stdout.trim(), "0");
    assert.ok(Date.now() - started >= 300);
  });

  it("hangs on hangOnCall until the caller's timeout kills it", async function () {
    await juju.setKnobs({ hangOnCall: 1 });
    const started = Date.now();
    const r = await jujuRun(["ssh", "magnum/0", "touch /tmp/hung"], undefined, 1000);
    assert.strictEqual(r.code, 124);
    assert.ok(Date.now() - started < 5000);
    assert.strictEqual(await unit.readFile("/tmp/hung"), undefined);
  });

  /**
   * A stand-in for the CLI: a shell of its own process group (as the test tier spawns pulumi) that
   * runs three calls, each juju in a session of its own (as the provider spawns juju, detached).
   */
  const engine = (script: string) =>
    new Promise<{ pid: number; code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const call = (cmd: string) => `setsid -w juju ssh -m openstack --pty=false magnum/0 '${cmd}'`;
      const cli = spawn(
        "sh",
        ["-c", `${script}; ${["echo one", "touch /tmp/two", "echo three"].map(call).join("; ")}`],
        {
          detached: true,
          stdio: "ignore",
          env: { ...process.env, PATH: `${juju.binDir}:${process.env.PATH}` },
        },
      );
      cli.on("exit", (code, signal) => resolve({ pid: cli.pid ?? 0, code, signal }));
    });

  it("signalEngine kill: once the call ran, SIGKILLs the engine's process group; no later call", async function () {
    await juju.setKnobs({
      engineParent: process.pid,
      signalEngine: { how: "kill", unit: "magnum/0", nth: 2 },
    });
    const cli = await engine("true");
    assert.strictEqual(cli.signal, "SIGKILL");
    const calls = (await juju.calls()).slice(-2);
    assert.deepStrictEqual(
      calls.map((c) => [c.index, c.engine, c.signalled, c.exit]),
      [
        [1, cli.pid, undefined, 0],
        [2, cli.pid, "kill", 0],
      ],
    );
    assert.ok(await unit.readFile("/tmp/two"), "the call ran on the unit before the kill");
  });

  it("signalEngine interrupt: SIGINT to the engine's group as the call starts; the call runs to its end", async function () {
    await juju.setKnobs({
      engineParent: process.pid,
      signalEngine: { how: "interrupt", command: "touch /tmp/two" },
    });
    await unit.sh("rm -f /tmp/two");
    // Like the CLI: finish what is in flight, then stop.
    const cli = await engine("trap 'exit 130' INT");
    assert.deepStrictEqual([cli.code, cli.signal], [130, null]);
    const calls = (await juju.calls()).slice(-2);
    assert.deepStrictEqual(
      calls.map((c) => [c.index, c.signalled, c.exit]),
      [
        [1, undefined, 0],
        [2, "interrupt", 0],
      ],
    );
    assert.ok(await unit.readFile("/tmp/two"));
  });

  it("rejects unknown flags, models and units like juju", async function () {
    const flag = await jujuRun(["ssh", "--bogus", "magnum/0", "true"]);
    assert.deepStrictEqual([flag.code, flag.stderr], [2, "ERROR option provided but not defined: --bogus\n"]);
    const model = await jujuRun(["ssh", "-m", "other", "magnum/0", "true"]);
    assert.deepStrictEqual([model.code, model.stderr], [1, 'ERROR model "other" not found\n']);
    const missing = await jujuRun(["ssh", "magnum/9", "true"]);
    assert.deepStrictEqual([missing.code, missing.stderr], [1, 'ERROR unit "magnum/9" not found\n']);
  });

  it("reports units with address and machine in juju status --format=json", async function () {
    const r = await jujuRun(["status", "--format=json", "-m", "openstack", "magnum/0"]);
    assert.strictEqual(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout);
    assert.strictEqual(status.model.name, "openstack");
    assert.deepStrictEqual(
      [
        status.applications.magnum.units["magnum/0"]["public-address"],
        status.applications.magnum.units["magnum/0"].machine,
      ],
      ["10.12.4.76", "1/lxd/2"],
    );
    assert.ok(status.machines["1"].containers["1/lxd/2"]);
  });
});
