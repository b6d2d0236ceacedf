import * as http from "http";
import { helmReleaseSecret } from "./helmRelease";
import { json, Reply } from "./http";
import { Attributes, Identity, KubeObjects, objectPath } from "./kubeObjects";
import { CapiCluster, ControllerImages, ServedVersions } from "./types";

/** Kinds of the CRDs the driver's lookups touch; any other CRD gets a kind derived from its plural. */
const KNOWN_KINDS: Record<string, string> = {
  clusters: "Cluster",
  machinedeployments: "MachineDeployment",
  machines: "Machine",
  openstackclusters: "OpenStackCluster",
  kubeadmcontrolplanes: "KubeadmControlPlane",
};

function status(code: number, reason: string, message: string): Reply {
  return json(code, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  });
}

/** Equality-based selectors only (`a=b`, `a==b`, `a!=b`), which is all helm uses. */
function matches(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const neg = term.includes("!=");
    const [k, v] = term.split(/!=|==|=/).map((s) => s.trim());
    return neg ? labels[k] !== v : labels[k] === v;
  });
}

export interface KubeState {
  token: string;
  servedVersions: () => ServedVersions;
  capoAvailable: boolean;
  helmReleases: Array<{ name: string; namespace: string }>;
  capiClusters: () => CapiCluster[];
  controllerImages: () => ControllerImages;
}

export class Kube {
  private readonly objects: KubeObjects;

  constructor(private readonly s: KubeState) {
    const seeded = [...s.helmReleases.map((r) => r.namespace), ...s.capiClusters().map((c) => c.namespace)];
    this.objects = new KubeObjects([...new Set(["default", "kube-system", "capo-system", ...seeded])]);
  }

  handle(req: http.IncomingMessage, url: URL, body: unknown): Reply {
    const who = this.objects.identify(
      /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1],
      this.s.token,
    );
    if (!who) return status(401, "Unauthorized", "Unauthorized");
    const p = url.pathname.replace(/\/+$/, "");
    if (req.method === "POST" && p === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
      const attrs = (body as { spec?: { resourceAttributes?: Partial<Attributes> } })?.spec
        ?.resourceAttributes;
      const allowed = this.objects.allowed(who, { verb: "", resource: "", group: "", ...attrs });
      return json(201, {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        status: { allowed },
      });
    }
    const obj = objectPath(p);
    if (obj?.name !== undefined || (obj && req.method !== "GET"))
      return this.object(req.method ?? "", obj, who, body);
    if (req.method !== "GET") return status(405, "MethodNotAllowed", "the server does not allow this method");
    if (p === "/version")
      return json(200, { major: "1", minor: "32", gitVersion: "v1.32.5", platform: "linux/amd64" });
    if (p === "/api")
      return json(200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
    if (p === "/apis") return json(200, this.groups());
    const secrets = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/secrets$/.exec(p);
    if (secrets) {
      if (!this.objects.allowed(who, { namespace: secrets[1], verb: "list", group: "", resource: "secrets" }))
        return status(
          403,
          "Forbidden",
          `secrets is forbidden: cannot list secrets in ${secrets[1] ?? "all namespaces"}`,
        );
      return this.secrets(secrets[1], url.searchParams.get("labelSelector"));
    }
    const crd = /^\/apis\/apiextensions\.k8s\.io\/v1\/customresourcedefinitions\/([^/]+)$/.exec(p);
    if (crd) return this.crd(crd[1]);
    const deployment = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(p);
    if (deployment) return this.deployment(deployment[1], deployment[2]);
    const clusters = /^\/apis\/cluster\.x-k8s\.io\/([^/]+)(?:\/namespaces\/([^/]+))?\/clusters$/.exec(p);
    if (clusters) return this.capiClusters(clusters[1], clusters[2]);
    return status(404, "NotFound", "the server could not find the requested resource");
  }

  /** The object API for the credential's kinds: the admin's, as pulumi-kubernetes uses it. */
  private object(
    method: string,
    o: { plural: string; namespace?: string; name?: string },
    who: Identity,
    body: unknown,
  ): Reply {
    if (!who.admin) return status(403, "Forbidden", `${o.plural} is forbidden for ${who.serviceAccount}`);
    const missing = () => status(404, "NotFound", `${o.plural} "${o.name}" not found`);
    if (method === "GET" && o.name) {
      const found = this.objects.get(o.plural, o.namespace, o.name);
      return found ? json(200, found) : missing();
    }
    if (method === "PUT" && o.name) {
      const r = this.objects.put(o.plural, o.namespace, body as Parameters<KubeObjects["put"]>[2]);
      return r.object ? json(r.status, r.object) : status(r.status, "NotFound", r.message ?? "");
    }
    if (method === "DELETE" && o.name) {
      return this.objects.delete(o.plural, o.namespace, o.name)
        ? json(200, { status: "Success" })
        : missing();
    }
    return status(405, "MethodNotAllowed", "the server does not allow this method");
  }

  private groups(): unknown {
    const byGroup = new Map<string, string[]>();
    for (const [name, versions] of Object.entries(this.s.servedVersions())) {
      const group = name.slice(name.indexOf(".") + 1);
      const served = versions.filter((v) => v.served).map((v) => v.name);
      byGroup.set(group, [...new Set([...(byGroup.get(group) ?? []), ...served])]);
    }
    const builtin: Array<[string, string[]]> = [
      ["apps", ["v1"]],
      ["apiextensions.k8s.io", ["v1"]],
    ];
    const groups = [...builtin, ...byGroup].map(([name, versions]) => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
      preferredVersion: versions.length
        ? { groupVersion: `${name}/${versions[0]}`, version: versions[0] }
        : undefined,
    }));
    return { kind: "APIGroupList", apiVersion: "v1", groups };
  }

  /** Helm's release storage. */
  private secrets(namespace: string | undefined, selector: string | null): Reply {
    const items = this.s.helmReleases
      .filter((r) => namespace === undefined || r.namespace === namespace)
      .map((r) => helmReleaseSecret(r.name, r.namespace))
      .concat(this.objects.list("secrets", namespace) as unknown as ReturnType<typeof helmReleaseSecret>[])
      .filter((s) => matches(s.metadata.labels ?? {}, selector));
    return json(200, { kind: "SecretList", apiVersion: "v1", metadata: { resourceVersion: "1" }, items });
  }

  private crd(name: string): Reply {
    const versions = this.s.servedVersions()[name];
    if (!versions) {
      return status(404, "NotFound", `customresourcedefinitions.apiextensions.k8s.io "${name}" not found`);
    }
    const dot = name.indexOf(".");
    const plural = name.slice(0, dot);
    const kind = KNOWN_KINDS[plural] ?? plural.charAt(0).toUpperCase() + plural.slice(1).replace(/s$/, "");
    return json(200, {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name },
      spec: {
        group: name.slice(dot + 1),
        names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        scope: "Namespaced",
        versions: versions.map((v) => ({ name: v.name, served: v.served, storage: v.storage })),
      },
      status: { storedVersions: versions.filter((v) => v.storage).map((v) => v.name) },
    });
  }

  /** Controller Deployments with their manager image; CAPO's availability follows capoAvailable. */
  private deployment(namespace: string, name: string): Reply {
    const image = this.s.controllerImages()[`${namespace}/${name}`];
    if (!image) return status(404, "NotFound", `deployments.apps "${name}" not found`);
    const available = name !== "capo-controller-manager" || this.s.capoAvailable;
    return json(200, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace },
      spec: {
        replicas: 1,
        template: {
          spec: {
            containers: [
              { name: "kube-rbac-proxy", image: "quay.io/brancz/kube-rbac-proxy:v0.18.0" },
              { name: "manager", image },
            ],
          },
        },
      },
      status: {
        replicas: 1,
        availableReplicas: available ? 1 : 0,
        conditions: [
          {
            type: "Available",
            status: available ? "True" : "False",
            reason: available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
          },
        ],
      },
    });
  }

  /** Cluster objects, listed across namespaces or in one, at a version the CRD serves. */
  private capiClusters(version: string, namespace: string | undefined): Reply {
    const served = (this.s.servedVersions()["clusters.cluster.x-k8s.io"] ?? []).some(
      (v) => v.served && v.name === version,
    );
    if (!served) return status(404, "NotFound", "the server could not find the requested resource");
    const items = this.s
      .capiClusters()
      .filter((c) => namespace === undefined || c.namespace === namespace)
      .map((c) => ({
        apiVersion: `cluster.x-k8s.io/${version}`,
        kind: "Cluster",
        metadata: { name: c.name, namespace: c.namespace },
      }));
    return json(200, {
      apiVersion: `cluster.x-k8s.io/${version}`,
      kind: "ClusterList",
      metadata: { resourceVersion: "1" },
      items,
    });
  }
}
