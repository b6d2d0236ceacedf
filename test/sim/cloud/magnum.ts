import { randomUUID } from "crypto";
import { clusterHealth } from "./health";
import { json, Reply } from "./http";
import { Scope } from "./keystone";
import { Cluster, now, Store, Template } from "./state";

const MAX_MICROVERSION = "1.11";
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function magnumError(status: number, detail: string): Reply {
  return json(status, {
    errors: [
      { request_id: "", code: status < 500 ? "client" : "server", status, title: detail, detail, links: [] },
    ],
  });
}

export class Magnum {
  constructor(
    private readonly store: Store,
    private readonly unitStatusFiles: string[],
    private readonly keypairs: string[] | undefined,
    /** How long a create or delete stays *_IN_PROGRESS. */
    private readonly settleMs: number,
  ) {
    this.settle();
  }

  handle(method: string, url: URL, body: unknown, scope: Scope): Reply {
    this.settle();
    const reply = this.route(method, url, body, scope);
    reply.headers = {
      ...reply.headers,
      "OpenStack-API-Version": `container-infra ${MAX_MICROVERSION}`,
      "OpenStack-API-Minimum-Version": "container-infra 1.1",
      "OpenStack-API-Maximum-Version": `container-infra ${MAX_MICROVERSION}`,
    };
    return reply;
  }

  private route(method: string, url: URL, body: unknown, scope: Scope): Reply {
    const parts = url.pathname.replace(/\/+$/, "").split("/").filter(Boolean);
    const self = `http://${url.host}/v1/`;
    if (parts.length === 0) {
      const v1 = { id: "v1", status: "CURRENT", max_version: MAX_MICROVERSION, min_version: "1.1" };
      return json(200, {
        versions: [{ ...v1, links: [{ href: self, rel: "self" }] }],
        name: "OpenStack Magnum API",
      });
    }
    if (parts[0] !== "v1") return magnumError(404, "The resource could not be found.");
    const [, collection, ident] = parts;
    if (!collection) return json(200, { id: "v1", links: [{ href: self, rel: "self" }] });
    if (collection === "clustertemplates" && method === "GET") {
      if (!ident || ident === "detail")
        return json(200, { clustertemplates: this.store.data.templates.map((t) => this.templateView(t)) });
      const t = this.findTemplate(ident);
      return t
        ? json(200, this.templateView(t))
        : magnumError(404, `ClusterTemplate ${ident} could not be found.`);
    }
    if (collection !== "clusters") return magnumError(404, "The resource could not be found.");
    if (method === "GET" && (!ident || ident === "detail")) {
      const mine = this.store.data.clusters.filter((c) => c.project_id === scope.projectId);
      return json(200, { clusters: mine.map((c) => this.clusterView(c)), next: null });
    }
    if (method === "POST" && !ident) return this.create(body, scope);
    if (!ident) return magnumError(405, "Method not allowed.");
    const found = this.findCluster(ident, scope);
    if (!Array.isArray(found)) return found;
    const [cluster] = found;
    if (method === "GET") return json(200, this.clusterView(cluster));
    if (method === "DELETE") {
      cluster.status = "DELETE_IN_PROGRESS";
      cluster.status_reason = null;
      cluster.updated_at = now();
      this.schedule(cluster);
      return json(204);
    }
    return magnumError(405, "Method not allowed.");
  }

  /** Magnum resolves an ident as a uuid when it looks like one, else as a name, within the token's project. */
  private findCluster(ident: string, scope: Scope): [Cluster] | Reply {
    const key = UUID_RE.test(ident) ? "uuid" : "name";
    const hits = this.store.data.clusters.filter((c) => c[key] === ident && c.project_id === scope.projectId);
    if (hits.length === 0) return magnumError(404, `Cluster ${ident} could not be found.`);
    if (hits.length > 1)
      return magnumError(409, `Multiple clusters exist with same name. Please use the cluster uuid instead.`);
    return [hits[0]];
  }

  private findTemplate(ident: string): Template | undefined {
    return this.store.data.templates.find((t) => t.uuid === ident || t.name === ident);
  }

  private templateView(t: Template): Record<string, unknown> {
    return {
      uuid: t.uuid,
      name: t.name,
      coe: "kubernetes",
      server_type: "vm",
      cluster_distro: t.cluster_distro ?? "ubuntu",
      public: true,
      labels: {},
      links: [],
    };
  }

  private create(body: unknown, scope: Scope): Reply {
    const req = (body ?? {}) as Record<string, unknown>;
    const name = typeof req.name === "string" ? req.name : "";
    if (!name) return magnumError(400, "Invalid input for field/attribute name.");
    const template = this.findTemplate(String(req.cluster_template_id ?? ""));
    if (!template)
      return magnumError(404, `ClusterTemplate ${String(req.cluster_template_id)} could not be found.`);
    const keypair = typeof req.keypair === "string" ? req.keypair : null;
    if (keypair && this.keypairs && !this.keypairs.includes(keypair)) {
      return magnumError(404, `Unable to find keypair ${keypair}.`);
    }
    if (this.store.data.clusters.some((c) => c.name === name && c.project_id === scope.projectId)) {
      return magnumError(409, `A cluster with name ${name} already exists.`);
    }
    const cluster: Cluster = {
      uuid: randomUUID(),
      name,
      project_id: scope.projectId,
      cluster_template_id: template.uuid,
      keypair,
      master_count: Number(req.master_count ?? 1),
      node_count: Number(req.node_count ?? 1),
      status: "CREATE_IN_PROGRESS",
      status_reason: null,
      created_at: now(),
      updated_at: null,
    };
    this.store.data.clusters.push(cluster);
    this.schedule(cluster);
    return json(202, { uuid: cluster.uuid });
  }

  private schedule(cluster: Cluster): void {
    cluster.settleAt = Date.now() + this.settleMs;
    this.store.save();
    setTimeout(() => this.settle(), this.settleMs + 10).unref();
  }

  /** Resolves every *_IN_PROGRESS whose time has come; also run on each request and at start, so a restart settles too. */
  private settle(): void {
    const at = Date.now();
    const data = this.store.data;
    const due = data.clusters.filter((c) => c.settleAt !== undefined && c.settleAt <= at);
    if (due.length === 0) return;
    for (const c of due) {
      delete c.settleAt;
      c.updated_at = now();
      if (c.status === "CREATE_IN_PROGRESS") {
        const health = clusterHealth(this.unitStatusFiles, data.servedVersions);
        c.status = health.status === "HEALTHY" ? "CREATE_COMPLETE" : "CREATE_FAILED";
        c.status_reason = health.status === "HEALTHY" ? null : Object.values(health.reason).join("; ");
      }
    }
    data.clusters = data.clusters.filter(
      (c) => c.status !== "DELETE_IN_PROGRESS" || c.settleAt !== undefined,
    );
    this.store.save();
  }

  private clusterView(c: Cluster): Record<string, unknown> {
    const health =
      c.status === "CREATE_COMPLETE" || c.status === "UPDATE_COMPLETE"
        ? clusterHealth(this.unitStatusFiles, this.store.data.servedVersions)
        : { status: null, reason: {} };
    return {
      uuid: c.uuid,
      name: c.name,
      project_id: c.project_id,
      user_id: null,
      cluster_template_id: c.cluster_template_id,
      keypair: c.keypair,
      status: c.status,
      status_reason: c.status_reason,
      health_status: health.status,
      health_status_reason: health.reason,
      node_count: c.node_count,
      master_count: c.master_count,
      create_timeout: 60,
      stack_id: c.uuid,
      api_address: c.status === "CREATE_COMPLETE" ? "https://10.12.7.50:6443" : null,
      node_addresses: [],
      master_addresses: [],
      discovery_url: null,
      docker_volume_size: null,
      labels: {},
      labels_overridden: {},
      labels_skipped: {},
      labels_added: {},
      fixed_network: null,
      fixed_subnet: null,
      floating_ip_enabled: true,
      master_lb_enabled: true,
      faults: {},
      coe_version: "v1.32.5",
      container_version: null,
      master_flavor_id: null,
      flavor_id: null,
      created_at: c.created_at,
      updated_at: c.updated_at,
      links: [],
    };
  }
}
