import { strict as assert } from "assert";
import { closeSshConnections, sshConnectionsOpened } from "../../providers/transport/sshPool";
import { MiniEngine, Op } from "../harness/engine";
import { assertGrafted, onUnit, PreGraft } from "../sim/gates";
import { Lab } from "../sim/lab";
import { directAddresses, startDirect } from "../sim/ssh/directLab";
import { TestSshd } from "../sim/ssh/sshd";

// The program's lifecycle with transport `direct`: the real providers (serialized and loaded back as
// the SDK host does) reach each simulated unit through Debian's sshd, never through juju.

const mutations = (ops: Op[]) =>
  ops.filter((o) => o.op !== "same" && o.op !== "read").map((o) => `${o.name}:${o.op}`);

describe("lifecycle with transport direct", function () {
  this.timeout(900_000);
  let lab: Lab;
  let sshd: TestSshd;
  let engine: MiniEngine;
  let config: Record<string, unknown>;
  const original: PreGraft[] = [];
  const originalLog = console.log;

  /** Connections opened and sessions run per unit during `op`; juju is never called. */
  async function measured<T>(
    op: () => Promise<T>,
  ): Promise<{ result: T; connections: number[]; sessions: number[] }> {
    const before = sshConnectionsOpened();
    const sessionsBefore = sshd.sessions();
    const jujuBefore = (await lab.juju.calls()).length;
    const result = await op();
    const after = sshConnectionsOpened();
    const names = lab.units.map((u) => `root@${u.spec.address}:${sshd.port}`);
    const sessions = sshd.sessions().slice(sessionsBefore.length);
    assert.equal((await lab.juju.calls()).length, jujuBefore, "no juju call with transport direct");
    const counts = {
      result,
      connections: names.map((n) => (after[n] ?? 0) - (before[n] ?? 0)),
      sessions: lab.units.map((u) => sessions.filter((s) => s === u.spec.unit).length),
    };
    console.error(
      `      connections per unit ${JSON.stringify(counts.connections)}, sessions per unit ${JSON.stringify(counts.sessions)}`,
    );
    return counts;
  }

  before(async () => {
    lab = await Lab.start({
      units: directAddresses(2).map((address) => ({ address, etcDefault: "# site tuning\n" })),
    });
    for (const u of lab.units) {
      original.push({
        etcDefault: await u.readFile("/etc/default/magnum-conductor"),
        magnumConf: await u.readFile("/etc/magnum/magnum.conf"),
      });
    }
    const direct = await startDirect(lab);
    sshd = direct.sshd;
    config = lab.config({ transport: direct.transport });
    engine = lab.engine();
    console.log = () => undefined; // the providers' progress lines
  });
  after(async () => {
    console.log = originalLog;
    closeSshConnections();
    await sshd?.stop();
    await lab?.stop();
  });

  it("grafts every unit over ssh on a fresh up, one connection per unit", async () => {
    const m = await measured(() => engine.up(config));
    for (const u of lab.units) await assertGrafted(lab, u);
    assert.deepEqual(m.connections, [1, 1]);
    // One session per step and the preflight's, as with juju: the unit check runs inside the preflight's.
    assert.ok(
      m.sessions.every((n) => n > 0 && n <= 7),
      `sessions per unit ${JSON.stringify(m.sessions)}`,
    );
  });

  it("runs nothing on a no-op up", async () => {
    const m = await measured(() => engine.up(config));
    assert.deepEqual(mutations(m.result.ops), []);
    assert.deepEqual(m.sessions, [0, 0]);
    assert.deepEqual(m.connections, [0, 0]);
  });

  it("rolls every unit back on destroy", async () => {
    const m = await measured(() => engine.destroy());
    assert.ok(
      m.connections.every((n) => n <= 1),
      "at most one connection per unit: the up's, if still open, or a new one",
    );
    for (const [i, u] of lab.units.entries()) {
      assert.equal(
        await onUnit(u, "python3 -m pip show magnum-capi-helm | sed -n 's/^Version: //p'"),
        "1.3.0",
      );
      assert.deepEqual(await u.readFile("/etc/default/magnum-conductor"), original[i].etcDefault);
    }
  });
});
