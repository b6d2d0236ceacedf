// The scoped credential's kubeconfig: the admin kubeconfig's server and CA for mgmtApiHost:mgmtApiPort,
// and the minted token. Pure, so the shape the conductors receive is tested without a cluster.

/** Where the conductors reach the management API, as the admin kubeconfig names it. */
export interface ApiEndpoint {
  /** `https://mgmtApiHost:mgmtApiPort` as the admin kubeconfig writes it. */
  readonly server: string;
  /** base64 PEM; undefined only for a plain-http server (a test's stub). */
  readonly certificateAuthorityData: string | undefined;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// A service-account token is a JWT: base64url segments joined by dots.
const TOKEN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function matches(server: string, host: string, port: number): boolean {
  try {
    const u = new URL(server);
    return u.hostname === host && Number(u.port || (u.protocol === "https:" ? 443 : 80)) === port;
  } catch {
    return false;
  }
}

interface ClusterEntry {
  server?: string;
  ca?: string;
  caFile?: boolean;
  insecure?: boolean;
}

/** Each cluster entry of a kubeconfig, JSON or the block YAML kubectl writes. */
function clusterEntries(kubeconfig: string): ClusterEntry[] {
  if (kubeconfig.trim().startsWith("{")) {
    const k = JSON.parse(kubeconfig) as {
      clusters?: Array<{ cluster?: Record<string, unknown> }>;
    };
    return (k.clusters ?? []).map(({ cluster: c = {} }) => ({
      server: typeof c.server === "string" ? c.server : undefined,
      ca: typeof c["certificate-authority-data"] === "string" ? c["certificate-authority-data"] : undefined,
      caFile: c["certificate-authority"] !== undefined,
      insecure: c["insecure-skip-tls-verify"] === true,
    }));
  }
  // A list item or a top-level key starts a new entry; only the keys read here are looked at, so
  // nothing else of the (secret) file is ever parsed or echoed.
  const entries: ClusterEntry[] = [];
  let current: ClusterEntry = {};
  for (const line of kubeconfig.split("\n")) {
    if (/^\s*-\s/.test(line) || /^\S/.test(line)) {
      if (current.server) entries.push(current);
      current = {};
    }
    const m =
      /^[\s-]*(server|certificate-authority-data|certificate-authority|insecure-skip-tls-verify):\s*["']?([^"'\s]*)["']?\s*$/.exec(
        line,
      );
    if (!m) continue;
    if (m[1] === "server") current.server = m[2];
    else if (m[1] === "certificate-authority-data") current.ca = m[2];
    else if (m[1] === "certificate-authority") current.caFile = true;
    else current.insecure = m[2] === "true";
  }
  if (current.server) entries.push(current);
  return entries;
}

/**
 * The admin kubeconfig's cluster entry for host:port, with its inline CA. Errors say what was expected
 * and name no value of the file but the server (config.ts reports them under mgmtKubeconfigPath).
 */
export function apiEndpoint(adminKubeconfig: string, host: string, port: number): ApiEndpoint {
  const entry = clusterEntries(adminKubeconfig).find((e) => e.server && matches(e.server, host, port));
  if (!entry?.server) throw new Error(`expected a cluster whose server is ${host}:${port}; none is`);
  if (new URL(entry.server).protocol === "http:")
    return { server: entry.server, certificateAuthorityData: undefined };
  if (entry.insecure)
    throw new Error(`expected TLS verification for ${entry.server}; it sets insecure-skip-tls-verify`);
  if (!entry.ca || !BASE64.test(entry.ca)) {
    throw new Error(
      `expected inline certificate-authority-data for ${entry.server}; ` +
        (entry.caFile
          ? "it names a certificate-authority file, which the conductors do not have"
          : "it has none"),
    );
  }
  return { server: entry.server, certificateAuthorityData: entry.ca };
}

/** The conductors' kubeconfig: block YAML (what kubectl writes and every client reads), token inline. */
export function tokenKubeconfig(api: ApiEndpoint, token: string, user = "magnum-conductor"): string {
  if (!TOKEN.test(token))
    throw new Error(
      "conductor credential: expected a service-account token (a JWT); the Secret holds something else",
    );
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: mgmt",
    "  cluster:",
    `    server: ${api.server}`,
    ...(api.certificateAuthorityData
      ? [`    certificate-authority-data: ${api.certificateAuthorityData}`]
      : []),
    "users:",
    `- name: ${user}`,
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: mgmt",
    "  context:",
    "    cluster: mgmt",
    `    user: ${user}`,
    "current-context: mgmt",
    "",
  ].join("\n");
}
