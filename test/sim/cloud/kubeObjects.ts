import { randomBytes } from "crypto";

// The part of a management cluster the scoped credential touches, for the simulated world: the
// objects the credential component writes (namespaces, ServiceAccounts, token Secrets, ClusterRoles
// and their bindings), the token controller that fills a service-account-token Secret (deleting the
// Secret, its ServiceAccount or its namespace revokes the token), and RBAC evaluation of exact rules
// for SelfSubjectAccessReviews and secret listings. The kube tier proves the same on a real apiserver.

export interface Identity {
  readonly admin: boolean;
  /** `namespace/name` of the ServiceAccount, for a minted token. */
  readonly serviceAccount?: string;
}

export interface Attributes {
  readonly namespace?: string;
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly name?: string;
}

type Obj = Record<string, unknown> & {
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
};

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The object kinds this store keeps, by their REST path segment. */
const KINDS: Record<string, { kind: string; namespaced: boolean }> = {
  namespaces: { kind: "Namespace", namespaced: false },
  serviceaccounts: { kind: "ServiceAccount", namespaced: true },
  secrets: { kind: "Secret", namespaced: true },
  clusterroles: { kind: "ClusterRole", namespaced: false },
  clusterrolebindings: { kind: "ClusterRoleBinding", namespaced: false },
  rolebindings: { kind: "RoleBinding", namespaced: true },
  validatingadmissionpolicies: { kind: "ValidatingAdmissionPolicy", namespaced: false },
  validatingadmissionpolicybindings: { kind: "ValidatingAdmissionPolicyBinding", namespaced: false },
};

/** `/api/v1/...`, `/apis/rbac.authorization.k8s.io/v1/...` or admissionregistration: plural, namespace, name. */
export function objectPath(p: string): { plural: string; namespace?: string; name?: string } | undefined {
  const m =
    /^\/(?:api\/v1|apis\/(?:rbac\.authorization|admissionregistration)\.k8s\.io\/v1)(?:\/namespaces\/([^/]+)(?=\/))?\/([a-z]+)(?:\/([^/]+))?$/.exec(
      p,
    );
  if (!m || !KINDS[m[2]] || (KINDS[m[2]].namespaced && !m[1] && m[2] !== "namespaces")) return undefined;
  return { plural: m[2], namespace: m[1], name: m[3] };
}

export class KubeObjects {
  private readonly objects = new Map<string, Obj>();
  /** Minted token -> the Secret that holds it. */
  private readonly tokens = new Map<string, { namespace: string; secret: string; serviceAccount: string }>();

  constructor(namespaces: string[]) {
    for (const name of namespaces)
      this.objects.set(key("namespaces", undefined, name), { metadata: { name } });
  }

  /** The identity a bearer token stands for, or undefined (401). */
  identify(token: string | undefined, adminToken: string): Identity | undefined {
    if (token === adminToken) return { admin: true };
    const t = token === undefined ? undefined : this.tokens.get(token);
    return t ? { admin: false, serviceAccount: `${t.namespace}/${t.serviceAccount}` } : undefined;
  }

  allowed(who: Identity, a: Attributes): boolean {
    if (who.admin) return true;
    const [saNs, saName] = (who.serviceAccount ?? "/").split("/");
    const names = (b: Obj) =>
      ((b.subjects as Array<{ kind: string; name: string; namespace: string }>) ?? []).some(
        (s) => s.kind === "ServiceAccount" && s.name === saName && s.namespace === saNs,
      );
    const bindings = [...this.objects.values()].filter(
      (o) =>
        names(o) &&
        (o.kind === "ClusterRoleBinding" ||
          (o.kind === "RoleBinding" && o.metadata.namespace === a.namespace)),
    );
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    return bindings.some((b) => {
      const role = this.objects.get(key("clusterroles", undefined, (b.roleRef as { name: string }).name));
      return ((role?.rules as Rule[]) ?? []).some(
        (r) =>
          [a.group, "*"].some((g) => r.apiGroups.includes(g)) &&
          [resource, "*"].some((x) => r.resources.includes(x)) &&
          [a.verb, "*"].some((v) => r.verbs.includes(v)) &&
          // RBAC: a rule with resourceNames holds only for a request that names one of them.
          (!r.resourceNames?.length || (a.name !== undefined && r.resourceNames.includes(a.name))),
      );
    });
  }

  /** The stored objects of a kind, in one namespace or all. */
  list(plural: string, namespace: string | undefined): Obj[] {
    const prefix = `${plural}/${namespace ?? ""}`;
    return [...this.objects.entries()]
      .filter(([k]) => (namespace === undefined ? k.startsWith(`${plural}/`) : k.startsWith(`${prefix}/`)))
      .map(([, o]) => o);
  }

  get(plural: string, namespace: string | undefined, name: string): Obj | undefined {
    return this.objects.get(key(plural, namespace, name));
  }

  /** Create or replace (PUT); 404 names a missing namespace as the apiserver does. */
  put(
    plural: string,
    namespace: string | undefined,
    body: Obj,
  ): { status: number; object?: Obj; message?: string } {
    if (namespace && !this.objects.has(key("namespaces", undefined, namespace)))
      return { status: 404, message: `namespaces "${namespace}" not found` };
    const name = body.metadata.name;
    const old = this.objects.get(key(plural, namespace, name));
    const object: Obj = {
      ...body,
      kind: KINDS[plural].kind,
      metadata: {
        ...body.metadata,
        ...(namespace ? { namespace } : {}),
        uid: old?.metadata.uid ?? randomBytes(8).toString("hex"),
      },
    };
    if (plural === "secrets" && object.type === "kubernetes.io/service-account-token")
      this.fillToken(object, old);
    this.objects.set(key(plural, namespace, name), object);
    return { status: old ? 200 : 201, object };
  }

  /** Deletes the object and what goes with it: a namespace's objects, a Secret's or account's tokens. */
  delete(plural: string, namespace: string | undefined, name: string): boolean {
    const k = key(plural, namespace, name);
    if (!this.objects.delete(k)) return false;
    for (const [token, t] of this.tokens) {
      const gone =
        (plural === "namespaces" && t.namespace === name) ||
        (plural === "secrets" && t.namespace === namespace && t.secret === name) ||
        (plural === "serviceaccounts" && t.namespace === namespace && t.serviceAccount === name);
      if (gone) this.tokens.delete(token);
    }
    if (plural === "namespaces") {
      for (const [other, o] of this.objects) if (o.metadata.namespace === name) this.objects.delete(other);
    }
    return true;
  }

  /** The token controller: a token for an existing ServiceAccount, kept across a replace of the Secret. */
  private fillToken(secret: Obj, old: Obj | undefined): void {
    const ns = secret.metadata.namespace as string;
    const sa = ((secret.metadata.annotations ?? {}) as Record<string, string>)[
      "kubernetes.io/service-account.name"
    ];
    if (!sa || !this.objects.has(key("serviceaccounts", ns, sa))) return;
    const kept = (old?.data as Record<string, string> | undefined)?.token;
    const token = kept
      ? Buffer.from(kept, "base64").toString()
      : [
          "eyJhbGciOiJFUzI1NiJ9",
          randomBytes(24).toString("base64url"),
          randomBytes(32).toString("base64url"),
        ].join(".");
    this.tokens.set(token, { namespace: ns, secret: secret.metadata.name, serviceAccount: sa });
    secret.data = { token: Buffer.from(token).toString("base64") };
  }
}

function key(plural: string, namespace: string | undefined, name: string): string {
  return `${plural}/${namespace ?? ""}/${name}`;
}
