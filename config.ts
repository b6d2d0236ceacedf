import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DESTROY_MODE, DestroyMode } from "./core/destroyMode";
import { RESTART_API, RestartApi } from "./core/restartApi";
import { API_KINDS, ApiResourceMap } from "./core/driverKinds";
import { apiEndpoint, Kubeconfig, readKubeconfig, serverIs } from "./core/kubeconfig";
import { isHttpUrl, PATTERNS, redactUrls } from "./core/shell";
import { CHART_NAME, CHART_VERSION, OCI_CHART, parseOciChartRef } from "./core/chart";
import { DEFAULT_IMAGE_ALLOW_LIST, IMAGE_PREFIX } from "./core/imageAllowList";
import { TransportSettings } from "./core/transportSpec";

export interface Conductor {
  readonly unit: string;
  readonly address: string;
}

export interface SmokeTest {
  readonly template: string;
  readonly keypair: string;
  readonly masterCount: number;
  readonly nodeCount: number;
  readonly timeoutMinutes: number;
}

export interface GraftConfig {
  readonly jujuModel: string;
  readonly conductors: readonly Conductor[];
  readonly mgmtProjectId: string;
  readonly mgmtSecurityGroup: string;
  readonly mgmtApiHost: string;
  readonly mgmtApiPort: number;
  readonly mgmtKubeconfigPath: string;
  /** The kubeconfig's content: a secret from here on. */
  readonly mgmtKubeconfig: string;
  readonly driverVersion: string;
  readonly rollbackDriverVersion: string;
  readonly pipIndexUrl: string | undefined;
  readonly helmVersion: string;
  readonly helmTarballUrl: string;
  readonly helmTarballSha256: string | undefined;
  readonly chartRepo: string;
  readonly chartName: string;
  readonly chartVersion: string;
  readonly apiResources: "auto" | ApiResourceMap;
  readonly expectedHelmReleases: readonly string[];
  readonly egressCheckUrls: readonly string[];
  readonly healthCheckCluster: string | undefined;
  readonly healthPollAttempts: number;
  readonly healthPollIntervalSeconds: number;
  readonly smokeTest: SmokeTest | undefined;
  readonly destroyMode: DestroyMode;
  readonly allowRemoveWithClusters: boolean;
  /** Whether each unit's restart also restarts magnum-api (`auto`: when the unit runs it). */
  readonly restartApi: RestartApi;
  /** What the conductors get: the admin kubeconfig as is, or a minted least-privilege account's. */
  readonly conductorCredential: "admin" | "scoped";
  readonly credentialNamespace: string;
  readonly credentialRotationDays: number;
  /** Project ids whose `magnum-<id>` namespaces the scoped account is bound in. */
  readonly credentialProjects: readonly string[];
  /** Image prefixes the scoped account's Deployments may run. */
  readonly credentialImageAllowList: readonly string[];
  readonly transport: TransportSettings;
}

// Credentials in a URL would reach the remote command line and plaintext state.
const HTTP_URL = "an http(s) URL without user:password@ (keep credentials in the unit's pip.conf or netrc)";
const KEY = "magnum-capi-graft:";
const PROJECT_ID = /^[0-9a-f]{32}$/;
const MAX_SHOWN = 120;

/** Every problem of a stack's configuration, one line each; thrown before any resource exists. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      (problems.length === 1
        ? problems[0]
        : `${KEY} ${problems.length} problems in the stack configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`) +
        "\nNothing was changed. Fix the values (`pulumi config set --path '<key>' <value>` or edit " +
        "Pulumi.<stack>.yaml), then run `pulumi preview`.",
    );
  }
}

/** Collects problems instead of stopping at the first, so one run reports them all. */
class Problems {
  readonly list: string[] = [];

  /** A missing (undefined) or bad value: names the key, the value and what is expected. */
  bad(key: string, value: unknown, expected: string): void {
    this.list.push(
      value === undefined
        ? `${KEY}${key}: expected ${expected}; saw nothing (not set)`
        : `${KEY}${key}: expected ${expected}; saw ${show(value)}`,
    );
  }

  invalidJson(key: string, text: string, expected: string): void {
    this.list.push(`${KEY}${key}: expected ${expected}; saw ${describeJsonError(text)}`);
  }
}

function show(value: unknown): string {
  const s = redactUrls(String(JSON.stringify(value)));
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}... (${s.length} characters)` : s;
}

/** Where JSON.parse stopped, as line/column and a short excerpt ending at that character. */
function describeJsonError(text: string): string {
  let reason = "";
  try {
    JSON.parse(text);
  } catch (e) {
    reason = (e as Error).message;
  }
  const at = /at position (\d+)/.exec(reason);
  const token = /^Unexpected token '(.)'/.exec(reason);
  let pos: number | undefined = at ? Number(at[1]) : undefined;
  if (/^Unexpected end of JSON input/.test(reason)) pos = text.length;
  // V8 names the token but not where it is: the first prefix that fails on that token does.
  for (let i = 0; pos === undefined && token && i < text.length; i++) {
    if (text[i] === token[1] && failsOnToken(text.slice(0, i + 1), token[1])) pos = i;
  }
  const why = reason.replace(/ in JSON at position.*$|, (\.\.\.)?".*$/s, "");
  if (pos === undefined) return `invalid JSON (${why})`;
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  const excerpt = text.slice(Math.max(0, pos - 30), pos + 1).replace(/\s+/g, " ");
  return `invalid JSON at line ${line}, column ${column} (${why}): ${pos > 30 ? "..." : ""}${excerpt} <-- here`;
}

function failsOnToken(prefix: string, token: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (e) {
    return (e as Error).message.startsWith(`Unexpected token '${token}'`);
  }
}

/** Reads a raw config value as Pulumi hands it over: a string, JSON-encoded for objects and arrays. */
export type RawConfig = (key: string) => string | undefined;

/** Stands for a value whose JSON did not parse (already reported). */
const INVALID = Symbol("invalid JSON");
type Parsed = unknown | typeof INVALID;

export function loadConfig(raw: RawConfig, home = os.homedir()): GraftConfig {
  const p = new Problems();
  type Pattern = RegExp | ((v: string) => boolean);
  const check = (key: string, v: string | undefined, pattern: Pattern, expected: string): string => {
    const ok = v !== undefined && (typeof pattern === "function" ? pattern(v) : pattern.test(v));
    if (!ok) p.bad(key, v, expected);
    return v ?? "";
  };
  const str = (key: string, def: string | undefined, pattern: Pattern, expected: string) =>
    check(key, raw(key) ?? def, pattern, expected);
  // A declared Pulumi.yaml key needs a default, so "" stands for unset.
  const optStr = (key: string, pattern: Pattern, expected: string) =>
    (raw(key) ?? "") === "" ? undefined : str(key, undefined, pattern, expected);
  const int = (key: string, def: number | undefined, min: number, max: number): number => {
    const r = raw(key);
    const v = r === undefined ? def : Number(r);
    if (v === undefined || !Number.isInteger(v) || v < min || v > max) {
      p.bad(key, r ?? v, `an integer from ${min} to ${max}`);
      return min;
    }
    return v;
  };
  // Objects arrive as JSON; a value that looks like JSON and does not parse is reported with its position.
  const json = (key: string, expected: string): Parsed => {
    const r = raw(key);
    if (r === undefined) return undefined;
    try {
      return JSON.parse(r);
    } catch {
      if (!/^\s*[[{]/.test(r)) return r;
      p.invalidJson(key, r, expected);
      return INVALID;
    }
  };

  // In the order of the README's table, so the report reads like the stack file.
  const jujuModel = str("jujuModel", "openstack", PATTERNS.model, "a juju model name");
  const conductorList = conductors(json("conductors", CONDUCTORS), p);
  const mgmtProjectId = str("mgmtProjectId", undefined, PROJECT_ID, "a project id of 32 hex digits");
  const mgmtSecurityGroup = str(
    "mgmtSecurityGroup",
    "capi-mgmt-sg",
    /^[A-Za-z0-9 ._-]{1,255}$/,
    "a security group name",
  );
  const problemsBefore = p.list.length;
  const mgmtApiHost = str(
    "mgmtApiHost",
    undefined,
    (v) => PATTERNS.ipv4.test(v) || PATTERNS.dnsName.test(v),
    "an IPv4 address or DNS name",
  );
  const mgmtApiPort = int("mgmtApiPort", 6443, 1, 65535);
  // The kubeconfig's server is compared with host:port only when both are valid.
  const apiServer = p.list.length === problemsBefore ? { host: mgmtApiHost, port: mgmtApiPort } : undefined;
  const kubeconfigPath = expandHome(
    str("mgmtKubeconfigPath", "~/capi-mgmt.kubeconfig", (v) => v.trim() !== "", "a path"),
    home,
  );
  const kubeconfig = kubeconfigFile(kubeconfigPath, apiServer, p);
  const helmVersion = str("helmVersion", "v3.17.3", PATTERNS.helmVersion, "a helm version like v3.17.3");
  const { chartRepo, chartName } = chartSource(raw, check);

  const cfg: GraftConfig = {
    jujuModel,
    conductors: conductorList,
    mgmtProjectId,
    mgmtSecurityGroup,
    mgmtApiHost,
    mgmtApiPort,
    mgmtKubeconfigPath: kubeconfigPath,
    mgmtKubeconfig: kubeconfig.content,
    driverVersion: str("driverVersion", "1.4.0", PATTERNS.pipVersion, "a release version like 1.4.0"),
    rollbackDriverVersion: str(
      "rollbackDriverVersion",
      "1.3.0",
      PATTERNS.pipVersion,
      "a release version like 1.3.0",
    ),
    pipIndexUrl: optStr("pipIndexUrl", isHttpUrl, HTTP_URL),
    helmVersion,
    helmTarballUrl: check(
      "helmTarballUrl",
      raw("helmTarballUrl") || `https://get.helm.sh/helm-${helmVersion}-linux-amd64.tar.gz`,
      isHttpUrl,
      HTTP_URL,
    ),
    helmTarballSha256: optStr("helmTarballSha256", PATTERNS.sha256, "64 lowercase hex digits"),
    chartRepo,
    chartName,
    chartVersion: str("chartVersion", "0.25.1", CHART_VERSION, "a chart version like 0.25.1"),
    apiResources: apiResources(raw("apiResources"), p),
    expectedHelmReleases: stringList(
      "expectedHelmReleases",
      json("expectedHelmReleases", "a JSON array of helm release names"),
      [],
      (v) => PATTERNS.releaseName.test(v) && v.length <= 53,
      "a helm release name",
      p,
    ),
    egressCheckUrls: stringList(
      "egressCheckUrls",
      json("egressCheckUrls", "a JSON array of http(s) URLs"),
      ["https://pypi.org/simple/", "https://get.helm.sh/"],
      isHttpUrl,
      HTTP_URL,
      p,
    ),
    healthCheckCluster: optStr(
      "healthCheckCluster",
      /^[A-Za-z][A-Za-z0-9_.-]{0,254}$/,
      "a Magnum cluster name",
    ),
    healthPollAttempts: int("healthPollAttempts", 10, 1, 1000),
    healthPollIntervalSeconds: int("healthPollIntervalSeconds", 20, 1, 3600),
    smokeTest: smokeTest(json("smokeTest", SMOKE_TEST), p),
    destroyMode: str("destroyMode", "rollback", DESTROY_MODE.pattern, DESTROY_MODE.expected) as DestroyMode,
    allowRemoveWithClusters:
      str("allowRemoveWithClusters", "false", /^(true|false)$/, "true or false") === "true",
    restartApi: str("restartApi", "auto", RESTART_API.pattern, RESTART_API.expected) as RestartApi,
    conductorCredential: str(
      "conductorCredential",
      "admin",
      /^(admin|scoped)$/,
      "admin or scoped",
    ) as GraftConfig["conductorCredential"],
    credentialNamespace: str(
      "credentialNamespace",
      "magnum-capi-graft",
      // A remove-mode destroy deletes it: never a system namespace or a project's.
      (v) => PATTERNS.namespace.test(v) && !/^(default|kube-.*|magnum-[0-9a-f]{32})$/.test(v),
      "a namespace name (DNS label) of its own: not default, kube-*, or a project's magnum-<id>",
    ),
    credentialRotationDays: int("credentialRotationDays", 90, 1, 3650),
    credentialProjects: distinct(
      "credentialProjects",
      stringList(
        "credentialProjects",
        json("credentialProjects", "a JSON array of project ids"),
        [],
        (v) => PROJECT_ID.test(v),
        "a project id of 32 hex digits",
        p,
      ),
      p,
    ),
    credentialImageAllowList: stringList(
      "credentialImageAllowList",
      json("credentialImageAllowList", "a JSON array of image prefixes"),
      [...DEFAULT_IMAGE_ALLOW_LIST],
      (v) => IMAGE_PREFIX.test(v),
      "an image reference prefix such as registry.example.com/autoscaling/cluster-autoscaler:",
      p,
    ),
    transport: transport(json("transport", TRANSPORT), jujuModel, home, p),
  };
  if (kubeconfig.read && apiServer) kubeconfigFor(cfg.conductorCredential, kubeconfig.read, apiServer, p);
  if (p.list.length > 0) throw new ConfigError(p.list);
  return cfg;
}

/**
 * The driver's (helm_chart_repo, helm_chart_name) pair: an http(s) repo and a chart name, or, as the
 * driver takes an OCI chart, an empty repo and `oci://host[:port]/path/chart` (it passes helm
 * --repo whenever the repo is set, so the empty repo is required, not implied).
 */
function chartSource(
  raw: RawConfig,
  check: (key: string, v: string | undefined, ok: (v: string) => boolean, expected: string) => string,
): { chartRepo: string; chartName: string } {
  const chartName = check(
    "chartName",
    raw("chartName") ?? "openstack-cluster",
    (v) => CHART_NAME.test(v) || parseOciChartRef(v) !== undefined,
    `a chart name, or ${OCI_CHART}`,
  );
  const repo = raw("chartRepo") ?? "https://azimuth-cloud.github.io/capi-helm-charts";
  if (chartName.startsWith("oci://")) {
    const chartRepo = check(
      "chartRepo",
      repo,
      (v) => v === "",
      '"" when chartName is an oci:// reference (the driver passes helm --repo whenever helm_chart_repo is set)',
    );
    return { chartRepo, chartName };
  }
  const chartRepo = check(
    "chartRepo",
    repo,
    isHttpUrl,
    repo.startsWith("oci://")
      ? `${HTTP_URL}; for an OCI registry set chartName to oci://host[:port]/path/<chart> and chartRepo to ""`
      : HTTP_URL,
  );
  return { chartRepo, chartName };
}

function expandHome(p: string, home: string): string {
  return p === "~" ? home : p.startsWith("~/") ? path.join(home, p.slice(2)) : p;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

const CONDUCTORS =
  'a non-empty array of {"unit": "magnum/0", "address": "<IPv4>"} with distinct units and addresses';

function conductors(v: Parsed, p: Problems): Conductor[] {
  if (v === INVALID) return [];
  if (!Array.isArray(v) || v.length === 0) {
    p.bad("conductors", v, CONDUCTORS);
    return [];
  }
  const seen = new Set<string>();
  const valid: Conductor[] = [];
  v.forEach((c: unknown, i) => {
    if (!isObject(c)) return p.bad(`conductors[${i}]`, c, '{"unit": "magnum/0", "address": "<IPv4>"}');
    const { unit, address } = c;
    const extra = Object.keys(c).filter((k) => k !== "unit" && k !== "address");
    if (extra.length > 0) p.bad(`conductors[${i}]`, extra, "only the keys unit and address");
    const unitOk = typeof unit === "string" && PATTERNS.unit.test(unit);
    const addressOk = typeof address === "string" && PATTERNS.ipv4.test(address);
    if (!unitOk) p.bad(`conductors[${i}].unit`, unit, "a unit name like magnum/0");
    if (!addressOk) p.bad(`conductors[${i}].address`, address, "the unit's IPv4 provider address");
    if (!unitOk || !addressOk) return;
    for (const [k, x] of [
      ["unit", unit],
      ["address", address],
    ]) {
      if (seen.has(x))
        p.bad(
          `conductors[${i}].${k}`,
          x,
          `${k === "unit" ? "a unit" : "an address"} no earlier conductors entry has`,
        );
    }
    seen.add(unit).add(address);
    valid.push({ unit, address });
  });
  return valid;
}

function stringList(
  key: string,
  v: Parsed,
  def: string[],
  ok: (s: string) => boolean,
  expected: string,
  p: Problems,
): string[] {
  if (v === undefined || v === INVALID) return def;
  if (!Array.isArray(v)) {
    p.bad(key, v, `an array, each entry ${expected}`);
    return def;
  }
  v.forEach((s: unknown, i) => {
    if (typeof s !== "string" || !ok(s)) p.bad(`${key}[${i}]`, s, expected);
  });
  return v as string[];
}

function distinct(key: string, list: string[], p: Problems): string[] {
  list.forEach((v, i) => {
    if (list.indexOf(v) !== i) p.bad(`${key}[${i}]`, v, "an id no earlier entry has");
  });
  return list;
}

const API_RESOURCE = '{"api_version": "<group>/<version>", "plural_name"?: "<plural>"}';
const API_RESOURCES = `"auto" or a JSON object mapping driver kinds to ${API_RESOURCE}`;

function apiResources(r: string | undefined, p: Problems): "auto" | ApiResourceMap {
  if (r === undefined || r === "auto") return "auto";
  let v: unknown;
  try {
    v = JSON.parse(r);
  } catch {
    p.invalidJson("apiResources", r, API_RESOURCES);
    return {};
  }
  if (!isObject(v)) {
    p.bad("apiResources", v, API_RESOURCES);
    return {};
  }
  for (const [kind, e] of Object.entries(v)) {
    if (!(API_KINDS as readonly string[]).includes(kind)) {
      p.bad(`apiResources.${kind}`, e, `one of the kinds ${API_KINDS.join(", ")}`);
      continue;
    }
    const keysOk = isObject(e) && Object.keys(e).every((k) => k === "api_version" || k === "plural_name");
    if (
      !keysOk ||
      typeof e.api_version !== "string" ||
      !/^[a-z0-9.-]+\/v[0-9]+((alpha|beta)[0-9]+)?$/.test(e.api_version)
    ) {
      p.bad(`apiResources.${kind}`, e, API_RESOURCE);
    } else if (
      e.plural_name !== undefined &&
      (typeof e.plural_name !== "string" || !/^[a-z0-9]+$/.test(e.plural_name))
    ) {
      p.bad(`apiResources.${kind}.plural_name`, e.plural_name, "a lowercase plural resource name");
    }
  }
  return v as ApiResourceMap;
}

const SMOKE_TEST = "{template, keypair, masterCount, nodeCount, timeoutMinutes}";

function smokeTest(v: Parsed, p: Problems): SmokeTest | undefined {
  if (v === undefined || v === INVALID) return undefined;
  if (!isObject(v)) {
    p.bad("smokeTest", v, SMOKE_TEST);
    return undefined;
  }
  const name = (k: string): string => {
    const x = v[k];
    if (typeof x !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(x)) {
      p.bad(`smokeTest.${k}`, x, "a name of letters, digits, '_', '.', '-'");
      return "";
    }
    return x;
  };
  const count = (k: string, min: number, max: number): number => {
    const x = v[k];
    if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > max) {
      p.bad(`smokeTest.${k}`, x, `an integer from ${min} to ${max}`);
      return min;
    }
    return x;
  };
  return {
    template: name("template"),
    keypair: name("keypair"),
    masterCount: count("masterCount", 1, 7),
    nodeCount: count("nodeCount", 0, 100),
    timeoutMinutes: count("timeoutMinutes", 1, 600),
  };
}

const TRANSPORT =
  '{"kind": "juju"}, {"kind": "jumphost", "host", "port"?, "user", "privateKeyPath", "knownHostsPath"?, ' +
  '"hostKeyFingerprint"?} or {"kind": "direct", "user"?, "port"?, "privateKeyPath"?, "knownHostsPath"?}';
const SSH_KEYS = ["kind", "port", "user", "privateKeyPath", "knownHostsPath"];
const SSH_KEYS_OF = {
  jumphost: [...SSH_KEYS, "host", "hostKeyFingerprint"],
  direct: SSH_KEYS,
  juju: ["kind"],
};

function transport(v: Parsed, model: string, home: string, p: Problems): TransportSettings {
  const juju: TransportSettings = { kind: "juju", model };
  if (v === undefined || v === INVALID) return juju;
  const kind = isObject(v) ? v.kind : undefined;
  if (!isObject(v) || (kind !== "juju" && kind !== "jumphost" && kind !== "direct")) {
    p.bad("transport", v, TRANSPORT);
    return juju;
  }
  const extra = Object.keys(v).filter((k) => !SSH_KEYS_OF[kind].includes(k));
  if (extra.length > 0)
    p.bad("transport", extra, `only the keys ${SSH_KEYS_OF[kind].join(", ")} for ${kind}`);
  if (kind === "juju") return juju;
  const field = <T>(k: string, def: T | undefined, ok: (x: unknown) => boolean, expected: string): T => {
    const x = v[k] ?? def;
    if (!ok(x)) p.bad(`transport.${k}`, x, expected);
    return x as T;
  };
  const isStr = (re: RegExp | ((s: string) => boolean)) => (x: unknown) =>
    typeof x === "string" && (typeof re === "function" ? re(x) : re.test(x));
  const file = (k: string, def: string | undefined, what: string): string => {
    const given = v[k] ?? def;
    if (typeof given !== "string" || given.trim() === "") {
      p.bad(`transport.${k}`, given, `a path to a readable ${what}`);
      return "";
    }
    const f = expandHome(given, home);
    try {
      fs.accessSync(f, fs.constants.R_OK);
    } catch (e) {
      p.bad(`transport.${k}`, f, `a readable ${what} (${(e as NodeJS.ErrnoException).code})`);
    }
    return f;
  };
  const endpoint = {
    port: field<number>(
      "port",
      22,
      (x) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 65535,
      "an integer from 1 to 65535",
    ),
    user: field<string>(
      "user",
      kind === "direct" ? "ubuntu" : undefined,
      isStr(PATTERNS.userName),
      "a login user name",
    ),
    privateKeyPath: file(
      "privateKeyPath",
      kind === "direct" ? "~/.local/share/juju/ssh/juju_id_rsa" : undefined,
      "private key file",
    ),
  };
  if (kind === "direct") {
    return {
      kind,
      ...endpoint,
      knownHostsPath: file("knownHostsPath", "~/.ssh/known_hosts", "known_hosts file"),
    };
  }
  const host = field<string>(
    "host",
    undefined,
    isStr((s) => PATTERNS.ipv4.test(s) || PATTERNS.dnsName.test(s)),
    "the jumphost's IPv4 address or DNS name",
  );
  if (v.hostKeyFingerprint !== undefined) {
    if (v.knownHostsPath !== undefined)
      p.bad(
        "transport.knownHostsPath",
        v.knownHostsPath,
        "no value when hostKeyFingerprint is given (one or the other)",
      );
    const fp = field<string>(
      "hostKeyFingerprint",
      undefined,
      isStr(/^SHA256:[A-Za-z0-9+/]{43}$/),
      "SHA256:<43 base64 characters> as ssh-keygen -lf prints it",
    );
    return { kind, model, host, ...endpoint, knownHostsPath: "", hostKeyFingerprint: fp };
  }
  return {
    kind,
    model,
    host,
    ...endpoint,
    knownHostsPath: file("knownHostsPath", "~/.ssh/known_hosts", "known_hosts file"),
  };
}

/** The file's content, and what it reads as once it names mgmtApiHost:mgmtApiPort. */
function kubeconfigFile(
  file: string,
  apiServer: { host: string; port: number } | undefined,
  p: Problems,
): { content: string; read?: Kubeconfig } {
  let content: string;
  try {
    content = fs.readFileSync(file, "utf8");
  } catch (e) {
    p.bad("mgmtKubeconfigPath", file, `a readable kubeconfig file (${(e as NodeJS.ErrnoException).code})`);
    return { content: "" };
  }
  if (content.trim() === "") {
    p.bad("mgmtKubeconfigPath", file, "a non-empty kubeconfig file");
    return { content: "" };
  }
  let read: Kubeconfig;
  try {
    read = readKubeconfig(content);
  } catch (e) {
    p.list.push(`${KEY}mgmtKubeconfigPath: ${(e as Error).message} (in ${file})`);
    return { content };
  }
  if (apiServer && !serverIs(read.server, apiServer.host, apiServer.port)) {
    p.list.push(
      `${KEY}mgmtKubeconfigPath: expected a kubeconfig whose current context's server is ` +
        `${apiServer.host}:${apiServer.port} (mgmtApiHost:mgmtApiPort); saw ${redactUrls(read.server)} ` +
        `(context ${JSON.stringify(read.context)} in ${file})`,
    );
    return { content };
  }
  return { content, read };
}

/** What the conductors get from the admin kubeconfig must work there, checked now with the rest. */
function kubeconfigFor(
  credential: GraftConfig["conductorCredential"],
  k: Kubeconfig,
  apiServer: { host: string; port: number },
  p: Problems,
): void {
  if (credential === "scoped") {
    // The scoped kubeconfig takes its server and CA from this file.
    try {
      apiEndpoint(k, apiServer.host, apiServer.port);
    } catch (e) {
      p.list.push(`${KEY}mgmtKubeconfigPath: ${(e as Error).message} (conductorCredential scoped reads it)`);
    }
  } else if (k.credentials !== "token" && k.credentials !== "client certificate") {
    // The file goes to the conductors as it is; the auth proof there reads only these.
    p.list.push(
      `${KEY}mgmtKubeconfigPath: kubeconfig users[${JSON.stringify(k.user ?? "")}].user: expected a token or a ` +
        `client certificate (conductorCredential admin hands this file to the conductors); saw ${k.credentials}`,
    );
  }
}
