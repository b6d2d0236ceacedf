import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isHttpUrl, PATTERNS, redactUrls } from "./providers/transport/shell";
import { TransportSpec } from "./providers/transport/transport";
import { DestroyMode } from "./providers/remoteFile";

/** The kinds the driver resolves through `api_resources` (FACTS: magnum-capi-helm 1.4.0). */
export const API_KINDS = [
  "Cluster",
  "OpenstackCluster",
  "MachineDeployment",
  "K8sControlPlane",
  "Machine",
  "Manifests",
  "HelmRelease",
  "HelmChartProxy",
] as const;
export type ApiKind = (typeof API_KINDS)[number];
export type ApiResourceMap = Partial<Record<ApiKind, { api_version: string; plural_name?: string }>>;

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
  readonly transport: TransportSpec;
}

// Credentials in a URL would reach the remote command line and plaintext state.
const HTTP_URL = "an http(s) URL without user:password@ (keep credentials in the unit's pip.conf or netrc)";

/** A bad value: names the key, the value and what is expected. */
export class ConfigError extends Error {
  constructor(key: string, value: unknown, expected: string) {
    super(`magnum-capi-graft:${key}: expected ${expected}, got ${redactUrls(String(JSON.stringify(value)))}`);
  }
}

/** Reads a raw config value as Pulumi hands it over: a string, JSON-encoded for objects and arrays. */
export type RawConfig = (key: string) => string | undefined;

export function loadConfig(raw: RawConfig, home = os.homedir()): GraftConfig {
  const str = (
    key: string,
    def: string | undefined,
    pattern: RegExp | ((v: string) => boolean),
    expected: string,
  ) => {
    const v = raw(key) ?? def;
    if (v === undefined) throw new ConfigError(key, v, `${expected} (required)`);
    const ok = typeof pattern === "function" ? pattern(v) : pattern.test(v);
    if (!ok) throw new ConfigError(key, v, expected);
    return v;
  };
  // A declared Pulumi.yaml key needs a default, so "" stands for unset.
  const optStr = (key: string, pattern: RegExp | ((v: string) => boolean), expected: string) =>
    (raw(key) ?? "") === "" ? undefined : str(key, undefined, pattern, expected);
  const int = (key: string, def: number | undefined, min: number, max: number) => {
    const r = raw(key);
    const v = r === undefined ? def : Number(r);
    if (v === undefined || !Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(
        key,
        r ?? v,
        `an integer from ${min} to ${max}${def === undefined ? " (required)" : ""}`,
      );
    }
    return v;
  };
  const json = (key: string): unknown => {
    const r = raw(key);
    if (r === undefined) return undefined;
    try {
      return JSON.parse(r);
    } catch {
      return r;
    }
  };

  const jujuModel = str("jujuModel", "openstack", PATTERNS.model, "a juju model name");
  const helmVersion = str("helmVersion", "v3.17.3", PATTERNS.helmVersion, "a helm version like v3.17.3");
  const kubeconfigPath = expandHome(
    str("mgmtKubeconfigPath", "~/capi-mgmt.kubeconfig", (v) => v.trim() !== "", "a path"),
    home,
  );
  const mgmtApiHost = str(
    "mgmtApiHost",
    undefined,
    (v) => PATTERNS.ipv4.test(v) || PATTERNS.dnsName.test(v),
    "an IPv4 address or DNS name",
  );
  const mgmtApiPort = int("mgmtApiPort", 6443, 1, 65535);

  return {
    jujuModel,
    conductors: conductors(json("conductors")),
    mgmtProjectId: str("mgmtProjectId", undefined, /^[0-9a-f]{32}$/, "a project id of 32 hex digits"),
    mgmtSecurityGroup: str(
      "mgmtSecurityGroup",
      "capi-mgmt-sg",
      /^[A-Za-z0-9 ._-]{1,255}$/,
      "a security group name",
    ),
    mgmtApiHost,
    mgmtApiPort,
    mgmtKubeconfigPath: kubeconfigPath,
    mgmtKubeconfig: readKubeconfig(kubeconfigPath, mgmtApiHost, mgmtApiPort),
    driverVersion: str("driverVersion", "1.4.0", PATTERNS.pipVersion, "a release version like 1.4.0"),
    rollbackDriverVersion: str(
      "rollbackDriverVersion",
      "1.3.0",
      PATTERNS.pipVersion,
      "a release version like 1.3.0",
    ),
    pipIndexUrl: optStr("pipIndexUrl", isHttpUrl, HTTP_URL),
    helmVersion,
    helmTarballUrl: helmTarballUrl(
      raw("helmTarballUrl") || `https://get.helm.sh/helm-${helmVersion}-linux-amd64.tar.gz`,
    ),
    helmTarballSha256: optStr("helmTarballSha256", PATTERNS.sha256, "64 lowercase hex digits"),
    chartRepo: str("chartRepo", "https://azimuth-cloud.github.io/capi-helm-charts", isHttpUrl, HTTP_URL),
    chartName: str("chartName", "openstack-cluster", /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "a chart name"),
    chartVersion: str(
      "chartVersion",
      "0.25.1",
      /^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$/,
      "a chart version like 0.25.1",
    ),
    apiResources: apiResources(raw("apiResources")),
    expectedHelmReleases: stringList(
      "expectedHelmReleases",
      json("expectedHelmReleases"),
      [],
      (v) => PATTERNS.releaseName.test(v) && v.length <= 53,
      "helm release names",
    ),
    egressCheckUrls: stringList(
      "egressCheckUrls",
      json("egressCheckUrls"),
      ["https://pypi.org/simple/", "https://get.helm.sh/"],
      isHttpUrl,
      "http(s) URLs without user:password@",
    ),
    healthCheckCluster: optStr(
      "healthCheckCluster",
      /^[A-Za-z][A-Za-z0-9_.-]{0,254}$/,
      "a Magnum cluster name",
    ),
    healthPollAttempts: int("healthPollAttempts", 10, 1, 1000),
    healthPollIntervalSeconds: int("healthPollIntervalSeconds", 20, 1, 3600),
    smokeTest: smokeTest(json("smokeTest")),
    destroyMode: str("destroyMode", "rollback", /^(rollback|remove)$/, "rollback or remove") as DestroyMode,
    allowRemoveWithClusters:
      str("allowRemoveWithClusters", "false", /^(true|false)$/, "true or false") === "true",
    transport: transport(json("transport"), jujuModel),
  };
}

function helmTarballUrl(v: string): string {
  if (!isHttpUrl(v)) throw new ConfigError("helmTarballUrl", v, HTTP_URL);
  return v;
}

function expandHome(p: string, home: string): string {
  return p === "~" ? home : p.startsWith("~/") ? path.join(home, p.slice(2)) : p;
}

function conductors(v: unknown): Conductor[] {
  const expected =
    'a non-empty array of {"unit": "magnum/0", "address": "<IPv4>"} with distinct units and addresses';
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError("conductors", v, expected);
  const seen = new Set<string>();
  return v.map((c, i) => {
    const o = c as Record<string, unknown>;
    const unit = o?.unit;
    const address = o?.address;
    if (typeof unit !== "string" || !PATTERNS.unit.test(unit)) {
      throw new ConfigError(`conductors[${i}].unit`, unit, "a unit name like magnum/0");
    }
    if (typeof address !== "string" || !PATTERNS.ipv4.test(address)) {
      throw new ConfigError(`conductors[${i}].address`, address, "the unit's IPv4 provider address");
    }
    const extra = Object.keys(o).filter((k) => k !== "unit" && k !== "address");
    if (extra.length > 0) throw new ConfigError(`conductors[${i}]`, extra, "only the keys unit and address");
    if (seen.has(unit) || seen.has(address)) throw new ConfigError("conductors", v, expected);
    seen.add(unit).add(address);
    return { unit, address };
  });
}

function stringList(
  key: string,
  v: unknown,
  def: string[],
  ok: (s: string) => boolean,
  expected: string,
): string[] {
  if (v === undefined) return def;
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && ok(s))) {
    throw new ConfigError(key, v, `an array of ${expected}`);
  }
  return v as string[];
}

function apiResources(r: string | undefined): "auto" | ApiResourceMap {
  if (r === undefined || r === "auto") return "auto";
  const expected =
    '"auto" or a JSON object mapping driver kinds (' +
    API_KINDS.join(", ") +
    ') to {"api_version": "<group>/<version>", "plural_name"?: "<plural>"}';
  let v: unknown;
  try {
    v = JSON.parse(r);
  } catch {
    throw new ConfigError("apiResources", r, `${expected}; it is not valid JSON`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new ConfigError("apiResources", v, expected);
  for (const [kind, entry] of Object.entries(v)) {
    if (!(API_KINDS as readonly string[]).includes(kind)) {
      throw new ConfigError(`apiResources.${kind}`, entry, `one of the kinds ${API_KINDS.join(", ")}`);
    }
    const e = entry as Record<string, unknown>;
    const keysOk =
      e !== null &&
      typeof e === "object" &&
      Object.keys(e).every((k) => k === "api_version" || k === "plural_name");
    if (
      !keysOk ||
      typeof e.api_version !== "string" ||
      !/^[a-z0-9.-]+\/v[0-9]+((alpha|beta)[0-9]+)?$/.test(e.api_version)
    ) {
      throw new ConfigError(
        `apiResources.${kind}`,
        entry,
        '{"api_version": "<group>/<version>", "plural_name"?: "<plural>"}',
      );
    }
    if (
      e.plural_name !== undefined &&
      (typeof e.plural_name !== "string" || !/^[a-z0-9]+$/.test(e.plural_name))
    ) {
      throw new ConfigError(
        `apiResources.${kind}.plural_name`,
        e.plural_name,
        "a lowercase plural resource name",
      );
    }
  }
  return v as ApiResourceMap;
}

function smokeTest(v: unknown): SmokeTest | undefined {
  if (v === undefined) return undefined;
  const expected = "{template, keypair, masterCount, nodeCount, timeoutMinutes}";
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new ConfigError("smokeTest", v, expected);
  const o = v as Record<string, unknown>;
  const name = (k: string) => {
    if (typeof o[k] !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(o[k] as string)) {
      throw new ConfigError(`smokeTest.${k}`, o[k], "a name of letters, digits, '_', '.', '-'");
    }
    return o[k] as string;
  };
  const count = (k: string, min: number, max: number) => {
    if (!Number.isInteger(o[k]) || (o[k] as number) < min || (o[k] as number) > max) {
      throw new ConfigError(`smokeTest.${k}`, o[k], `an integer from ${min} to ${max}`);
    }
    return o[k] as number;
  };
  return {
    template: name("template"),
    keypair: name("keypair"),
    masterCount: count("masterCount", 1, 7),
    nodeCount: count("nodeCount", 0, 100),
    timeoutMinutes: count("timeoutMinutes", 1, 600),
  };
}

function transport(v: unknown, model: string): TransportSpec {
  if (v === undefined) return { kind: "juju", model };
  const kind = (v as Record<string, unknown> | null)?.kind;
  if (kind === "juju") return { kind: "juju", model };
  if (kind === "jumphost" || kind === "direct") {
    throw new ConfigError(
      "transport.kind",
      kind,
      "juju: the node-ssh transports (jumphost, direct) are not in this release",
    );
  }
  throw new ConfigError("transport", v, '{"kind": "juju"}');
}

function readKubeconfig(file: string, host: string, port: number): string {
  let content: string;
  try {
    content = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(
      "mgmtKubeconfigPath",
      file,
      `a readable kubeconfig file (${(e as NodeJS.ErrnoException).code})`,
    );
  }
  if (content.trim() === "") throw new ConfigError("mgmtKubeconfigPath", file, "a non-empty kubeconfig file");
  // Only the server line is read here: the rest of the file is secret and never echoed.
  const servers = [...content.matchAll(/^\s*server:\s*(\S+)\s*$/gm)].map((m) => m[1]);
  const matching = servers.some((s) => {
    try {
      const u = new URL(s);
      return u.hostname === host && Number(u.port || (u.protocol === "https:" ? 443 : 80)) === port;
    } catch {
      return false;
    }
  });
  if (!matching) {
    throw new ConfigError(
      "mgmtKubeconfigPath",
      file,
      `a kubeconfig whose server is ${host}:${port} (mgmtApiHost:mgmtApiPort); its servers are ${servers.join(", ") || "none"}`,
    );
  }
  return content;
}
