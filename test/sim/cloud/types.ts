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
  /** A name alone is an Ubuntu template, which the CAPI driver serves. */
  templates?: Array<string | { name: string; clusterDistro: string }>;
  keypairs?: string[];
  /** How long a create or delete stays *_IN_PROGRESS (default 2000 ms). */
  settleMs?: number;
  /** CAPI Cluster objects on the management cluster (the driver puts them in magnum-<project>). */
  capiClusters?: CapiCluster[];
  /** Controller Deployments ("<namespace>/<name>") and their manager image; defaults to what chart 0.25.1 was tested with. */
  controllerImages?: ControllerImages;
  /** Charts and versions the chart repository's index.yaml lists. */
  charts?: Record<string, string[]>;
}

export interface CapiCluster {
  namespace: string;
  name: string;
}

export type ControllerImages = Record<string, string>;

export const DEFAULT_CONTROLLER_IMAGES: ControllerImages = {
  "capi-system/capi-controller-manager": "registry.k8s.io/cluster-api/cluster-api-controller:v1.13.2",
  "capo-system/capo-controller-manager": "registry.k8s.io/capi-openstack/capi-openstack-controller:v0.14.4",
  "orc-system/orc-controller-manager": "quay.io/orc/openstack-resource-controller:v2.5.0",
};

export const DEFAULT_CHARTS: Record<string, string[]> = {
  "openstack-cluster": ["0.24.3", "0.25.0", "0.25.1"],
  "cluster-addons": ["0.25.1"],
};

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
  chartsPort: number;
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
