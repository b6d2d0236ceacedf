import * as fs from "fs";
import * as path from "path";
import { onUnit } from "../gates";
import { Lab } from "../lab";
import { TestSshd } from "./sshd";

/** Loopback addresses for `n` units reached by transport `direct`: 127.0.0.2 onwards (.1 is the jumphost). */
export const directAddresses = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `127.0.0.${2 + i}`);

/**
 * Readies a lab whose units sit at directAddresses() for transport `direct`: the juju agent
 * directories the unit check reads, a real sshd whose sessions land in the units, a known_hosts
 * with its key. Returns the server and the `transport` config that reaches it.
 */
export async function startDirect(
  lab: Lab,
  latencyMs = 0,
): Promise<{ sshd: TestSshd; transport: Record<string, unknown> }> {
  for (const u of lab.units) {
    const tag = `unit-${u.spec.unit.replace("/", "-")}`;
    const machine = `machine-${u.spec.machine.replace(/\//g, "-")}`;
    await onUnit(u, `mkdir -p /var/lib/juju/agents/${tag} /var/lib/juju/agents/${machine}`);
  }
  fs.mkdirSync(path.join(lab.dir, "sshd"));
  const sshd = await TestSshd.start({
    dir: path.join(lab.dir, "sshd"),
    units: lab.units,
    jujuBinDir: lab.juju.binDir,
    latencyMs,
  });
  const knownHosts = path.join(lab.dir, "known_hosts");
  fs.writeFileSync(knownHosts, lab.units.map((u) => `${sshd.knownHostsLine(u.spec.address)}\n`).join(""));
  const transport = {
    kind: "direct",
    user: "root",
    port: sshd.port,
    privateKeyPath: sshd.clientKey,
    knownHostsPath: knownHosts,
  };
  return { sshd, transport };
}
