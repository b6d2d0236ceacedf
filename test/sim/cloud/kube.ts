import * as http from "http";
import { gzipSync } from "zlib";
import { json, Reply } from "./http";
import { ServedVersions } from "./types";

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
}

export class Kube {
  constructor(private readonly s: KubeState) {}

  handle(req: http.IncomingMessage, url: URL): Reply {
    if (req.headers.authorization !== `Bearer ${this.s.token}`)
      return status(401, "Unauthorized", "Unauthorized");
    if (req.method !== "GET") return status(405, "MethodNotAllowed", "the server does not allow this method");
    const p = url.pathname.replace(/\/+$/, "");
    if (p === "/version")
      return json(200, { major: "1", minor: "32", gitVersion: "v1.32.5", platform: "linux/amd64" });
    if (p === "/api")
      return json(200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
    if (p === "/apis") return json(200, this.groups());
    const secrets = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/secrets$/.exec(p);
    if (secrets) return this.secrets(secrets[1], url.searchParams.get("labelSelector"));
    const crd = /^\/apis\/apiextensions\.k8s\.io\/v1\/customresourcedefinitions\/([^/]+)$/.exec(p);
    if (crd) return this.crd(crd[1]);
    if (p === "/apis/apps/v1/namespaces/capo-system/deployments/capo-controller-manager") return this.capo();
    return status(404, "NotFound", "the server could not find the requested resource");
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

  /** Helm's release storage: data.release is base64(gzip(release JSON)), base64'd again by the Secret. */
  private secrets(namespace: string | undefined, selector: string | null): Reply {
    const items = this.s.helmReleases
      .filter((r) => namespace === undefined || r.namespace === namespace)
      .map((r) => {
        const labels = { name: r.name, owner: "helm", status: "deployed", version: "1" };
        const release = { name: r.name, namespace: r.namespace, version: 1, info: { status: "deployed" } };
        const inner = gzipSync(JSON.stringify(release)).toString("base64");
        return {
          metadata: { name: `sh.helm.release.v1.${r.name}.v1`, namespace: r.namespace, labels },
          type: "helm.sh/release.v1",
          data: { release: Buffer.from(inner).toString("base64") },
        };
      })
      .filter((s) => matches(s.metadata.labels, selector));
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

  private capo(): Reply {
    const available = this.s.capoAvailable ? "True" : "False";
    return json(200, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "capo-controller-manager", namespace: "capo-system" },
      spec: { replicas: 1 },
      status: {
        replicas: 1,
        availableReplicas: this.s.capoAvailable ? 1 : 0,
        conditions: [
          {
            type: "Available",
            status: available,
            reason: this.s.capoAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
          },
        ],
      },
    });
  }
}
