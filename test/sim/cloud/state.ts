import { randomBytes, randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { normalizeRule } from "./neutron-rules";
import {
  CapiCluster,
  CloudOptions,
  ControllerImages,
  DEFAULT_CONTROLLER_IMAGES,
  Rule,
  Secrets,
  ServedVersions,
  STATE_FILE,
} from "./types";

export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  created_at: string;
}

export interface Cluster {
  uuid: string;
  name: string;
  project_id: string;
  cluster_template_id: string;
  keypair: string | null;
  master_count: number;
  node_count: number;
  status: string;
  status_reason: string | null;
  created_at: string;
  updated_at: string | null;
  /** When an *_IN_PROGRESS status resolves (unix ms). */
  settleAt?: number;
}

export interface Template {
  uuid: string;
  name: string;
  cluster_distro: string;
}

interface StateData {
  secrets: Secrets;
  securityGroups: SecurityGroup[];
  rules: Rule[];
  clusters: Cluster[];
  templates: Template[];
  servedVersions: ServedVersions;
  capiClusters: CapiCluster[];
  controllerImages: ControllerImages;
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/** A rule-less Neutron group is never empty: Neutron adds these two on group creation. */
function defaultEgress(sg: SecurityGroup): Rule[] {
  return (["IPv4", "IPv6"] as const).map((ethertype) => ({
    id: randomUUID(),
    security_group_id: sg.id,
    project_id: sg.project_id,
    direction: "egress",
    ethertype,
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: null,
    description: "",
  }));
}

function seed(cfg: CloudOptions): StateData {
  const templates = (cfg.templates ?? []).map((t) => ({
    uuid: randomUUID(),
    ...(typeof t === "string"
      ? { name: t, cluster_distro: "ubuntu" }
      : { name: t.name, cluster_distro: t.clusterDistro }),
  }));
  const securityGroups: SecurityGroup[] = [];
  const rules: Rule[] = [];
  for (const g of cfg.securityGroups) {
    const sg = {
      id: randomUUID(),
      name: g.name,
      description: "",
      project_id: cfg.projectId,
      created_at: now(),
    };
    securityGroups.push(sg);
    rules.push(...defaultEgress(sg));
    for (const spec of g.rules ?? []) {
      rules.push({
        ...normalizeRule(spec),
        id: randomUUID(),
        security_group_id: sg.id,
        project_id: sg.project_id,
      });
    }
  }
  const clusters: Cluster[] = (cfg.clusters ?? []).map((c) => ({
    uuid: randomUUID(),
    name: c.name,
    project_id: cfg.projectId,
    cluster_template_id: templates[0]?.uuid ?? randomUUID(),
    keypair: cfg.keypairs?.[0] ?? null,
    master_count: 1,
    node_count: 1,
    status: "CREATE_COMPLETE",
    status_reason: null,
    created_at: now(),
    updated_at: null,
  }));
  const secrets = {
    adminProjectId: randomBytes(16).toString("hex"),
    password: randomBytes(12).toString("hex"),
    kubeToken: randomBytes(24).toString("hex"),
  };
  return {
    secrets,
    securityGroups,
    rules,
    clusters,
    templates,
    servedVersions: cfg.servedVersions,
    capiClusters: cfg.capiClusters ?? [],
    controllerImages: { ...DEFAULT_CONTROLLER_IMAGES, ...cfg.controllerImages },
  };
}

/** Everything a restarted server must still see, kept as one JSON file in the caller's state dir. */
export class Store {
  private constructor(
    private readonly file: string,
    readonly data: StateData,
  ) {}

  static open(cfg: CloudOptions): Store {
    fs.mkdirSync(cfg.stateDir, { recursive: true });
    const file = path.join(cfg.stateDir, STATE_FILE);
    const data = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as StateData) : seed(cfg);
    const store = new Store(file, data);
    store.save();
    return store;
  }

  /** Written via rename so a reader (the client's rules()) never sees a half-written file. */
  save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    fs.renameSync(tmp, this.file);
  }
}
