export interface RuleSpec {
  direction: "ingress" | "egress";
  ethertype?: "IPv4" | "IPv6";
  protocol?: string | null;
  port_range_min?: number | null;
  port_range_max?: number | null;
  remote_ip_prefix?: string | null;
  remote_group_id?: string | null;
  description?: string;
}

export interface Rule extends RuleSpec {
  id: string;
  security_group_id: string;
  project_id: string;
}

export interface ServedVersion {
  name: string;
  served: boolean;
  storage: boolean;
}

export type ServedVersions = Record<string, ServedVersion[]>;

export interface CloudOptions {
  stateDir: string;
  projectId: string;
  projectName: string;
  securityGroups: Array<{ name: string; rules?: RuleSpec[] }>;
  servedVersions: ServedVersions;
  capoAvailable: boolean;
  helmReleases: Array<{ name: string; namespace: string }>;
  unitStatusFiles: string[];
  clusters?: Array<{ name: string }>;
  templates?: string[];
  keypairs?: string[];
  /** How long a create or delete stays *_IN_PROGRESS (default 2000 ms). */
  settleMs?: number;
}

/** Generated on first start and kept in the state dir, so a restart keeps credentials valid. */
export interface Secrets {
  adminProjectId: string;
  password: string;
  kubeToken: string;
}

/** The `READY <json>` line: everything a caller needs to reach the stub, whatever language it is in. */
export interface Ready extends Secrets {
  keystonePort: number;
  neutronPort: number;
  magnumPort: number;
  kubePort: number;
  controlPort: number;
}

export interface LoggedRequest {
  service: string;
  method: string;
  path: string;
  status: number;
  projectScope?: string;
}

/** Written by a simulated conductor daemon; see health.ts for how it is read. */
export interface UnitStatus {
  pid: number;
  updatedAt: number;
  driverVersion: string | null;
  apiResources: Record<string, { api_version?: string; plural_name?: string }> | null;
  configDirs: string[];
  kubeconfigFile: string | null;
  helmChartVersion: string | null;
}

export const STATE_FILE = "cloud-state.json";
export const REQUEST_LOG = "requests.jsonl";
export const CONFIG_FILE = "cloud-config.json";
