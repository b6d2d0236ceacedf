// Host keys as OpenSSH knows them: known_hosts lines (plain, `[host]:port`, hashed `|1|salt|hash`,
// wildcards and `!negations`, `@revoked`) and `SHA256:` fingerprints as `ssh-keygen -lf` prints them.
import { createHash, createHmac } from "crypto";

/** The base64 SHA-256 of a public key blob, unpadded: what `ssh-keygen -lf` prints after `SHA256:`. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type a public key blob names (its first SSH string). */
export function keyType(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "?";
  const n = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + n).toString("latin1");
}

export interface KnownKey {
  readonly type: string;
  readonly blob: Buffer;
  readonly revoked: boolean;
}

/** How known_hosts names a host: bare for port 22, `[host]:port` otherwise. */
export function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "i").test(name);
}

function hashedMatches(field: string, name: string): boolean {
  const [, magic, salt, hash] = field.split("|");
  if (magic !== "1" || !salt || !hash) return false;
  return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
}

/** OpenSSH's rule: some pattern matches and no negated one does. */
function hostsMatch(field: string, name: string): boolean {
  if (field.startsWith("|")) return hashedMatches(field, name);
  let matched = false;
  for (const p of field.split(",")) {
    if (p.startsWith("!")) {
      if (globMatches(p.slice(1), name)) return false;
    } else if (globMatches(p, name)) matched = true;
  }
  return matched;
}

/**
 * The keys a known_hosts text lists for host:port. `@cert-authority` lines are skipped: a CA signs
 * certificates, which this client does not use, so it never makes a plain key known.
 */
export function knownKeys(text: string, host: string, port: number): KnownKey[] {
  const name = hostName(host, port);
  const keys: KnownKey[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
    if (marker !== undefined && marker !== "@revoked") continue;
    const [hosts, type, b64] = fields;
    if (!hosts || !type || !b64 || !hostsMatch(hosts, name)) continue;
    keys.push({ type, blob: Buffer.from(b64, "base64"), revoked: marker === "@revoked" });
  }
  return keys;
}

/** The host key algorithms to offer for the key types known, so the server presents one of those. */
export function algorithmsFor(types: readonly string[]): string[] {
  const algs = types.flatMap((t) => (t === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [t]));
  return [...new Set(algs)];
}
