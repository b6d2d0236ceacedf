// One process's SSH connections, shared by every dynamic provider in it: the SDK loads each resource
// type's provider from its own serialized text, so the pool lives on globalThis, not in a module.
import * as fs from "fs";
import * as net from "net";
import { NodeSSH } from "node-ssh";
import { SshEndpoint } from "../../core/transportSpec";
import { connectionError } from "../errors";
import { algorithmsFor, fingerprint, hostName, keyType, knownKeys } from "./knownHosts";

/** Below OpenSSH's default MaxSessions (10): more concurrent commands open another connection. */
const MAX_CHANNELS = 8;
/** A connection nobody used for this long is closed; the timer never keeps the process alive. */
const IDLE_MS = 30_000;
const GLOBAL_KEY = "__magnumCapiGraftSshPool";

export interface PooledConnection {
  readonly ssh: NodeSSH;
  readonly endpoint: string;
}

interface Entry extends PooledConnection {
  readonly ready: Promise<void>;
  sock: net.Socket;
  active: number;
  retired: boolean;
  idle?: NodeJS.Timeout;
}

interface Pool {
  entries: Map<string, Entry[]>;
  opened: Map<string, number>;
}

function pool(): Pool {
  const g = globalThis as unknown as Record<string, Pool | undefined>;
  g[GLOBAL_KEY] ??= { entries: new Map(), opened: new Map() };
  return g[GLOBAL_KEY];
}

/** `user@host:port`, how connections are counted and named. */
export function endpointName(e: SshEndpoint): string {
  return `${e.user}@${e.host}:${e.port}`;
}

/** SSH connections this process opened, per `user@host:port`, since it started. */
export function sshConnectionsOpened(): Record<string, number> {
  return Object.fromEntries(pool().opened);
}

/** Closes every pooled connection (tests and benchmarks end with this). */
export function closeSshConnections(): void {
  for (const list of pool().entries.values()) for (const e of [...list]) retire(e);
}

/** A connection to the endpoint with room for one more command; release it when the command ends. */
export async function acquire(ep: SshEndpoint, timeoutMs: number): Promise<PooledConnection> {
  const key = JSON.stringify([
    ep.host,
    ep.port,
    ep.user,
    ep.privateKeyPath,
    ep.knownHostsPath,
    ep.hostKeyFingerprint,
  ]);
  const p = pool();
  const list = p.entries.get(key) ?? [];
  p.entries.set(key, list);
  let entry = list.find((e) => !e.retired && e.active < MAX_CHANNELS);
  if (!entry) {
    const name = endpointName(ep);
    p.opened.set(name, (p.opened.get(name) ?? 0) + 1);
    const sock = new net.Socket();
    const ssh = new NodeSSH();
    entry = { ssh, sock, endpoint: name, active: 0, retired: false, ready: open(ssh, sock, ep, timeoutMs) };
    const e = entry;
    list.push(e);
    e.ready.then(
      () => {
        ssh.connection?.on("close", () => retire(e));
        ssh.connection?.on("error", () => retire(e));
      },
      () => retire(e),
    );
  }
  entry.active++;
  clearTimeout(entry.idle);
  entry.sock.ref();
  try {
    await entry.ready;
  } catch (err) {
    entry.active--;
    throw err;
  }
  return entry;
}

export function release(c: PooledConnection): void {
  const e = c as Entry;
  e.active--;
  if (e.active > 0) return;
  if (e.retired) return close(e);
  e.sock.unref();
  e.idle = setTimeout(() => retire(e), IDLE_MS);
  e.idle.unref();
}

/** No new command goes to this connection; it closes once its last command has ended. */
export function retire(c: PooledConnection): void {
  const e = c as Entry;
  if (e.retired) return;
  e.retired = true;
  for (const list of pool().entries.values()) {
    const i = list.indexOf(e);
    if (i >= 0) list.splice(i, 1);
  }
  if (e.active === 0) close(e);
}

function close(e: Entry): void {
  clearTimeout(e.idle);
  e.ssh.dispose();
  e.sock.destroy();
}

async function open(ssh: NodeSSH, sock: net.Socket, ep: SshEndpoint, timeoutMs: number): Promise<void> {
  const name = endpointName(ep);
  let refusal: string | undefined;
  const known = ep.hostKeyFingerprint ? [] : readKnownKeys(ep);
  const types = [...new Set(known.filter((k) => !k.revoked).map((k) => k.type))];
  // The handshake has readyTimeout; the TCP connect needs a deadline of ours too (a dropped SYN
  // would otherwise wait for the kernel's, minutes).
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        connectionError(`cannot connect to ${name}: no answer within ${Math.round(timeoutMs / 1000)} s`),
      );
    }, timeoutMs);
    sock.once("error", (e) => {
      clearTimeout(timer);
      reject(connectionError(`cannot connect to ${name}: ${e.message}`));
    });
    sock.connect(ep.port, ep.host, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  try {
    await ssh.connect({
      sock,
      username: ep.user,
      privateKeyPath: ep.privateKeyPath,
      readyTimeout: timeoutMs,
      // Offer the key types known_hosts has, so the server presents one we can compare.
      ...(types.length > 0 ? { algorithms: { serverHostKey: algorithmsFor(types) } } : {}),
      hostVerifier: (key: Buffer) => {
        refusal = hostKeyRefusal(ep, key, known);
        return refusal === undefined;
      },
    } as Parameters<NodeSSH["connect"]>[0]);
  } catch (e) {
    sock.destroy();
    throw connectionError(
      refusal ?? `cannot open an SSH connection to ${name}: ${(e as Error).message} (no command ran)`,
    );
  }
}

function readKnownKeys(ep: SshEndpoint) {
  let text = "";
  try {
    text = fs.readFileSync(ep.knownHostsPath, "utf8");
  } catch {
    // A missing file knows no host; the refusal says how to add one.
  }
  return knownKeys(text, ep.host, ep.port);
}

/** Why the presented key is not accepted, or undefined when it is the expected one. */
function hostKeyRefusal(
  ep: SshEndpoint,
  key: Buffer,
  known: ReturnType<typeof knownKeys>,
): string | undefined {
  const host = hostName(ep.host, ep.port);
  const presented = `${keyType(key)} ${fingerprint(key)}`;
  const stop = `refused the SSH host key of ${host} before any command ran`;
  if (ep.hostKeyFingerprint) {
    if (fingerprint(key) === ep.hostKeyFingerprint) return undefined;
    return `${stop}: it CHANGED or is not the expected host; presented ${presented}, expected ${ep.hostKeyFingerprint} (transport.hostKeyFingerprint)`;
  }
  if (known.some((k) => k.revoked && k.blob.equals(key))) {
    return `${stop}: presented ${presented} is marked @revoked in ${ep.knownHostsPath}`;
  }
  const listed = known.filter((k) => !k.revoked);
  if (listed.some((k) => k.blob.equals(key))) return undefined;
  if (listed.length > 0) {
    const expected = listed.map((k) => `${k.type} ${fingerprint(k.blob)}`).join(", ");
    return `${stop}: it CHANGED; presented ${presented}, expected ${expected} (${ep.knownHostsPath})`;
  }
  return (
    `${stop}: the host is unknown; presented ${presented}, and ${ep.knownHostsPath} has no entry for ${host}. ` +
    `Compare the fingerprint with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on the host, then add it: ` +
    `ssh-keyscan -p ${ep.port} ${ep.host} >> ${ep.knownHostsPath}`
  );
}
