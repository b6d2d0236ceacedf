import { RemoteScriptProvider } from "../../providers/kernel";
import assert from "assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DirectTransportSpec, JumphostTransportSpec } from "../../core/transportSpec";
import { isGateError } from "../../providers/errors";
import { RemoteFileInputs, RemoteFileOutputs, REMOTE_FILE } from "../../providers/remoteFile";
import { openTransport } from "../../providers/transport";
import { JumphostTransport } from "../../providers/transport/ssh";
import { fingerprint } from "../../providers/transport/knownHosts";
import { closeSshConnections, sshConnectionsOpened } from "../../providers/transport/sshPool";
import { JujuFake } from "../sim/juju/jujuFake";
import { TestSshd } from "../sim/ssh/sshd";
import { SimUnit } from "../sim/unit/simUnit";
import { removeDir, sharedArtifacts, tempDir } from "../sim/unit/testSupport";

// Both node-ssh transports against Debian's OpenSSH server on loopback, landing in simulated units.

const ADDRESSES = ["127.0.0.2", "127.0.0.3"];
const OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRk";

describe("node-ssh transports against a real sshd", function () {
  this.timeout(120_000);
  let dir: string;
  let units: SimUnit[];
  let juju: JujuFake;
  let sshd: TestSshd;
  let knownHosts: string;

  before(async () => {
    dir = tempDir("ssh");
    const artifacts = await sharedArtifacts();
    units = [];
    for (const [i, address] of ADDRESSES.entries()) {
      const workDir = path.join(dir, `unit-${i}`);
      fs.mkdirSync(workDir);
      units.push(
        await SimUnit.start({ unit: `magnum/${i}`, address, machine: `1/lxd/${2 + i}`, workDir, artifacts }),
      );
    }
    juju = await JujuFake.create(path.join(dir, "juju"), "openstack", units);
    fs.mkdirSync(path.join(dir, "sshd"));
    sshd = await TestSshd.start({ dir: path.join(dir, "sshd"), units, jujuBinDir: juju.binDir });
    knownHosts = path.join(dir, "known_hosts");
  });
  after(async () => {
    closeSshConnections();
    await sshd?.stop();
    for (const u of units ?? []) await u.stop();
    removeDir(dir);
  });
  beforeEach(() => {
    closeSshConnections();
    const all = ["127.0.0.1", ...ADDRESSES].map((h) => sshd.knownHostsLine(h));
    fs.writeFileSync(knownHosts, `# test hosts\n${all.join("\n")}\n`);
  });

  const endpoint = { port: 0, user: "root", privateKeyPath: "", knownHostsPath: "" };
  const direct = (i = 0): DirectTransportSpec => ({
    ...endpoint,
    kind: "direct",
    host: ADDRESSES[i],
    port: sshd.port,
    privateKeyPath: sshd.clientKey,
    knownHostsPath: knownHosts,
  });
  const jumphost = (extra: Partial<JumphostTransportSpec> = {}): JumphostTransportSpec => ({
    ...endpoint,
    kind: "jumphost",
    model: "openstack",
    host: "127.0.0.1",
    port: sshd.port,
    privateKeyPath: sshd.clientKey,
    knownHostsPath: knownHosts,
    ...extra,
  });
  const sessionsSince = async (n: number, m: number) => ({
    direct: sshd.sessions().length - n,
    juju: (await juju.calls()).length - m,
  });
  const counts = async () => [sshd.sessions().length, (await juju.calls()).length] as const;

  for (const kind of ["direct", "jumphost"] as const) {
    describe(kind, () => {
      const spec = (i = 0) => (kind === "direct" ? direct(i) : jumphost());

      it("runs the command line in the unit, as ubuntu, with stdin closed", async () => {
        for (const i of [0, 1]) {
          const r = await openTransport(spec(i)).run(units[i].spec.unit, "id -un; hostname; wc -c", {
            timeoutMs: 30_000,
          });
          assert.deepEqual(r, { code: 0, stdout: `ubuntu\njuju-7f3a21-1-lxd-${2 + i}\n0\n`, stderr: "" });
        }
        if (kind === "jumphost") {
          const calls = await juju.calls();
          assert.deepEqual(calls.at(-1)?.argv, [
            "ssh",
            "-m",
            "openstack",
            "--pty=false",
            "magnum/1",
            "id -un; hostname; wc -c",
          ]);
        }
      });

      it("forwards a payload byte for byte, returns exit codes and stderr, forwards progress", async () => {
        const payload = Buffer.concat([Buffer.from([0, 0xff, 0x0d, 0x0a]), Buffer.alloc(200_000, 0xa5)]);
        const seen: string[] = [];
        const r = await openTransport(spec()).run(
          "magnum/0",
          `echo "@@progress half way" >&2; sha256sum; echo 'it''s bad' >&2; exit 7`,
          { stdin: payload, timeoutMs: 30_000, onProgress: (l) => seen.push(l) },
        );
        const sum = execFileSync("sha256sum", { input: payload }).toString();
        assert.deepEqual(r, { code: 7, stdout: sum, stderr: "its bad\n" });
        assert.deepEqual(seen, ["half way"]);
      });

      it("gives up at our deadline with a TimeoutError naming the unit", async () => {
        const started = Date.now();
        await assert.rejects(
          openTransport(spec()).run("magnum/0", "sleep 30", { timeoutMs: 1_500 }),
          (e: Error) => e.name === "TimeoutError" && /magnum\/0.*did not finish within 2 s/.test(e.message),
        );
        assert.ok(Date.now() - started < 10_000);
      });

      it("reports a connection dropped mid-command as a ConnectionError naming the unit", async () => {
        const t = openTransport(spec());
        await t.run("magnum/0", "true", { timeoutMs: 30_000 });
        const running = t.run("magnum/0", "sleep 30", { timeoutMs: 60_000 });
        await new Promise((r) => setTimeout(r, 1_000));
        sshd.killSessions();
        await assert.rejects(running, (e: Error) => {
          assert.equal(e.name, "ConnectionError");
          assert.match(e.message, /magnum\/0.*dropped \(the remote command may or may not have run\)/);
          return true;
        });
        const r = await t.run("magnum/0", "echo again", { timeoutMs: 30_000 });
        assert.equal(r.stdout, "again\n", "a dropped connection is evicted; the next call reconnects");
      });

      it("shares one connection among the operations of a process", async () => {
        const name = `root@${spec().host}:${sshd.port}`;
        const before = sshConnectionsOpened()[name] ?? 0;
        await Promise.all(
          Array.from({ length: 5 }, () =>
            openTransport(spec()).run("magnum/0", "true", { timeoutMs: 30_000 }),
          ),
        );
        for (let i = 0; i < 5; i++)
          await openTransport(spec()).run("magnum/0", "true", { timeoutMs: 30_000 });
        assert.equal((sshConnectionsOpened()[name] ?? 0) - before, 1);
      });

      it("refuses an unknown host key before any command runs", async () => {
        fs.writeFileSync(knownHosts, "# nothing known\n");
        const [n, m] = await counts();
        await assert.rejects(
          openTransport(spec()).run("magnum/0", "touch /tmp/ran", { timeoutMs: 30_000 }),
          (e: Error) => {
            assert.equal(e.name, "ConnectionError");
            const fp = fingerprint(Buffer.from(sshd.hostKey.split(" ")[1], "base64"));
            assert.match(
              e.message,
              new RegExp(`the host is unknown; presented ssh-ed25519 ${fp.replace(/[+/]/g, "\\$&")}`),
            );
            assert.match(e.message, new RegExp(`ssh-keyscan -p ${sshd.port} ${spec().host} >> `));
            return true;
          },
        );
        assert.deepEqual(await sessionsSince(n, m), { direct: 0, juju: 0 });
      });

      it("refuses a changed host key, naming both fingerprints, before any command runs", async () => {
        fs.writeFileSync(knownHosts, `${sshd.knownHostsLine(spec().host, OTHER_KEY)}\n`);
        const [n, m] = await counts();
        const expected = fingerprint(Buffer.from(OTHER_KEY.split(" ")[1], "base64"));
        const presented = fingerprint(Buffer.from(sshd.hostKey.split(" ")[1], "base64"));
        await assert.rejects(
          openTransport(spec()).run("magnum/0", "true", { timeoutMs: 30_000 }),
          (e: Error) => {
            assert.ok(e.message.includes(`[${spec().host}]:${sshd.port}`), e.message);
            assert.ok(
              e.message.includes(
                `CHANGED; presented ssh-ed25519 ${presented}, expected ssh-ed25519 ${expected}`,
              ),
              e.message,
            );
            return true;
          },
        );
        assert.deepEqual(await sessionsSince(n, m), { direct: 0, juju: 0 });
      });

      it("refuses a host key known_hosts marks @revoked, with zero commands run", async () => {
        fs.writeFileSync(
          knownHosts,
          `@revoked ${sshd.knownHostsLine(spec().host)}\n${sshd.knownHostsLine(spec().host)}\n`,
        );
        const [n, m] = await counts();
        await assert.rejects(
          openTransport(spec()).run("magnum/0", "true", { timeoutMs: 30_000 }),
          /refused the SSH host key .* is marked @revoked/,
        );
        assert.deepEqual(await sessionsSince(n, m), { direct: 0, juju: 0 });
      });

      it("accepts hashed known_hosts entries as ssh-keygen -H writes them", async () => {
        fs.writeFileSync(knownHosts, `${sshd.knownHostsLine(spec().host)}\n`);
        execFileSync("ssh-keygen", ["-q", "-H", "-f", knownHosts], { stdio: "ignore" });
        assert.match(fs.readFileSync(knownHosts, "utf8"), /^\|1\|/);
        const r = await openTransport(spec()).run("magnum/0", "echo hashed", { timeoutMs: 30_000 });
        assert.equal(r.stdout, "hashed\n");
      });

      it("does not take a port-22 entry for a host on another port", async () => {
        fs.writeFileSync(knownHosts, `${spec().host} ${sshd.hostKey}\n`);
        await assert.rejects(
          openTransport(spec()).run("magnum/0", "true", { timeoutMs: 30_000 }),
          /host is unknown/,
        );
      });
    });
  }

  describe("hostKeyFingerprint (jumphost)", () => {
    const fp = () => fingerprint(Buffer.from(sshd.hostKey.split(" ")[1], "base64"));

    it("connects when the presented key has the fingerprint", async () => {
      const spec = jumphost({ knownHostsPath: "", hostKeyFingerprint: fp() });
      const r = await openTransport(spec).run("magnum/0", "echo fp", { timeoutMs: 30_000 });
      assert.equal(r.stdout, "fp\n");
    });

    it("refuses another fingerprint with zero commands run", async () => {
      const wrong = `SHA256:${"A".repeat(43)}`;
      const [n, m] = await counts();
      await assert.rejects(
        openTransport(jumphost({ knownHostsPath: "", hostKeyFingerprint: wrong })).run("magnum/0", "true", {
          timeoutMs: 30_000,
        }),
        (e: Error) =>
          e.message.includes(`presented ssh-ed25519 ${fp()}, expected ${wrong}`) &&
          e.message.includes("127.0.0.1"),
      );
      assert.deepEqual(await sessionsSince(n, m), { direct: 0, juju: 0 });
    });
  });

  describe("jumphost: describeUnit", () => {
    it("reads juju status there", async () => {
      assert.deepEqual(await new JumphostTransport(jumphost()).describeUnit("magnum/1", 30_000), {
        address: "127.0.0.3",
      });
      assert.equal(await new JumphostTransport(jumphost()).describeUnit("magnum/7", 30_000), undefined);
    });
  });

  describe("direct: the preflight's unit check", () => {
    // What juju installs on a machine: an agent directory per unit and one for the machine.
    const agents = "/var/lib/juju/agents";
    const file = (unit: string, path: string): RemoteFileInputs => ({
      transport: direct(0),
      unit,
      path,
      content: "checked\n",
      mode: "0644",
      owner: "root",
      ownerFromService: "",
      asciiOnly: false,
      restartOnChange: false,
      destroyMode: "remove",
      gates: [{ kind: "preflight", address: ADDRESSES[0], magnumConf: "/etc/magnum/magnum.conf" }],
      guards: "",
    });
    before(() => units[0].sh(`mkdir -p ${agents}/unit-magnum-0 ${agents}/machine-1-lxd-2`));
    after(() => units[0].sh(`rm -rf ${agents}`));

    it("runs in the step's own session: one session, no juju", async () => {
      const [n, m] = await counts();
      const outs = await new RemoteScriptProvider(REMOTE_FILE).create(file("magnum/0", "/tmp/unit-check-ok"));
      assert.equal((await units[0].sh("cat /tmp/unit-check-ok")).stdout, "checked\n");
      assert.deepEqual(await sessionsSince(n, m), { direct: 1, juju: 0 });
      assert.match(String(outs.outs?.gatesSeen), /^preflight:/);
    });

    it("refuses a unit whose agent is not on the machine, in that session, before the step", async () => {
      const [n, m] = await counts();
      await assert.rejects(
        new RemoteScriptProvider(REMOTE_FILE).create(file("magnum/1", "/tmp/unit-check-no")),
        (e: Error) => {
          assert.ok(isGateError(e), e.message);
          assert.match(
            e.message,
            /^preflight on magnum\/1: expected the juju agent unit-magnum-1 on the machine at 127\.0\.0\.2 \(conductors\[\]\.address\); saw agents: machine-1-lxd-2 unit-magnum-0 \./,
          );
          return true;
        },
      );
      assert.equal(
        (await units[0].sh("test -e /tmp/unit-check-no && echo written || echo absent")).stdout,
        "absent\n",
      );
      assert.deepEqual(await sessionsSince(n, m), { direct: 1, juju: 0 });
    });

    it("records a unit whose agent left the machine as a refresh finding, still measuring the step", async () => {
      const p = new RemoteScriptProvider(REMOTE_FILE);
      const outs = (await p.create(file("magnum/0", "/tmp/unit-check-refresh"))).outs as RemoteFileOutputs;
      await units[0].sh(`mv ${agents}/unit-magnum-0 ${agents}/unit-magnum-9`);
      try {
        const r = await p.read("id", outs);
        assert.equal(r.props?.gatesHeld, "0");
        assert.match(
          String(r.props?.gatesSeen),
          /^preflight: expected the juju agent unit-magnum-0 .*saw agents: machine-1-lxd-2 unit-magnum-9 $/,
        );
        assert.equal(r.props?.sha256, outs.sha256, "the step was measured too");
      } finally {
        await units[0].sh(`mv ${agents}/unit-magnum-9 ${agents}/unit-magnum-0`);
      }
    });
  });
});
