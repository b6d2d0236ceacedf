import { POD_SECURITY_LABELS, policySpecs, serviceAccountUser } from "../../components/credentialPolicy";
import { clusterRules, NAMESPACE_RULES, policyRules } from "../../components/credentialRules";
import { waitFor } from "../sim/unit/testSupport";
import { KubeApiServer } from "./apiserver";
import { KubeClient } from "./client";

// The objects the credential component creates, made here with the admin client from the same specs
// (rules, labels, admission policy), and the account's token as the real token controller fills it.

export const CRED_NS = "magnum-capi-graft";
export const SA = "magnum-conductor";
export const PROJECT_NS = "magnum-0123456789abcdef0123456789abcdef";
/** A project namespace that exists but is not listed in credentialProjects. */
export const UNLISTED_NS = "magnum-fedcba9876543210fedcba9876543210";
export const USER = serviceAccountUser(CRED_NS, SA);
export const AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.0";
const RBAC = "/apis/rbac.authorization.k8s.io/v1";

/** What denied a request, as the API server words it. */
export const DENIED_BY = {
  rbac: new RegExp(`forbidden: User "${USER}" cannot `),
  escalation: new RegExp(
    `forbidden: user "${USER}" .*is attempting to grant RBAC permissions not currently held`,
  ),
  podSecurity: /violates PodSecurity "baseline:latest"/,
  policy:
    /ValidatingAdmissionPolicy 'magnum-conductor-([a-z]+)' with binding 'magnum-conductor-\1' denied request: /,
};

export async function allowed(as: KubeClient, attrs: Record<string, string | undefined>): Promise<boolean> {
  const r = await as.ok("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: attrs },
    },
  });
  return r.body.status.allowed === true;
}

/**
 * The account for `projects` as the component makes it: namespace, ServiceAccount, roles and bindings,
 * each project namespace at Pod Security baseline, the admission policy and its binding.
 */
export async function grant(
  kube: KubeApiServer,
  projects: readonly string[],
  imageAllowList = ["registry.k8s.io/autoscaling/cluster-autoscaler:"],
): Promise<void> {
  const a = kube.admin;
  await a.ok("POST", "/api/v1/namespaces", { body: { metadata: { name: CRED_NS } } });
  await a.ok("POST", `/api/v1/namespaces/${CRED_NS}/serviceaccounts`, { body: { metadata: { name: SA } } });
  await a.ok("POST", `${RBAC}/clusterroles`, {
    body: { metadata: { name: `${SA}-cluster` }, rules: policyRules(clusterRules(projects)) },
  });
  await a.ok("POST", `${RBAC}/clusterroles`, {
    body: { metadata: { name: `${SA}-project` }, rules: policyRules(NAMESPACE_RULES) },
  });
  const subjects = [{ kind: "ServiceAccount", name: SA, namespace: CRED_NS }];
  await a.ok("POST", `${RBAC}/clusterrolebindings`, {
    body: {
      metadata: { name: `${SA}-cluster` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${SA}-cluster` },
      subjects,
    },
  });
  for (const ns of projects) {
    await a.ok("POST", "/api/v1/namespaces", {
      body: { metadata: { name: ns, labels: POD_SECURITY_LABELS } },
    });
    await a.ok("POST", `${RBAC}/namespaces/${ns}/rolebindings`, {
      body: {
        metadata: { name: SA },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${SA}-project` },
        subjects,
      },
    });
  }
  const admission = "/apis/admissionregistration.k8s.io/v1";
  for (const p of policySpecs(USER, imageAllowList)) {
    const policy = await a.ok("POST", `${admission}/validatingadmissionpolicies`, {
      body: { metadata: { name: p.name }, spec: p.spec },
    });
    await a.ok("POST", `${admission}/validatingadmissionpolicybindings`, {
      body: { metadata: { name: p.name }, spec: { policyName: p.name, validationActions: ["Deny"] } },
    });
    // The status controller type-checks the CEL against the kind's schema: a mistake is a warning.
    const checked = await waitFor(
      `${p.name}'s type check`,
      async () => {
        const r = await a.ok("GET", `${admission}/validatingadmissionpolicies/${p.name}`);
        return r.body.status?.observedGeneration === policy.body.metadata.generation
          ? r.body.status
          : undefined;
      },
      30000,
    );
    const warnings = checked.typeChecking?.expressionWarnings ?? [];
    if (warnings.length > 0) throw new Error(`${p.name} type check: ${JSON.stringify(warnings)}`);
  }
}

/**
 * A service-account-token Secret, as the credential component creates it, filled by the real
 * token controller of kube-controller-manager; deleting the Secret revokes the token.
 */
export async function mintToken(kube: KubeApiServer, secret: string): Promise<string> {
  const path = `/api/v1/namespaces/${CRED_NS}/secrets/${secret}`;
  await kube.admin.ok("POST", `/api/v1/namespaces/${CRED_NS}/secrets`, {
    body: {
      metadata: { name: secret, annotations: { "kubernetes.io/service-account.name": SA } },
      type: "kubernetes.io/service-account-token",
    },
  });
  const token = await waitFor(
    `the token controller to fill ${secret}`,
    async () => (await kube.admin.ok("GET", path)).body.data?.token as string | undefined,
    30000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\nkube-controller-manager: ${kube.controllerManagerLog()}`);
  });
  return Buffer.from(token, "base64").toString("utf8");
}

/** The request must be refused (403, or 422 for an invalid one) by `by`; the message is returned. */
export async function refused(
  as: KubeClient,
  by: RegExp,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<string> {
  const r = await as.request(method, path, body === undefined ? {} : { body, contentType });
  const message = typeof r.body === "string" ? r.body : String(r.body?.message ?? "");
  if (r.status !== 403 || !by.test(message))
    throw new Error(`${method} ${path}: expected 403 matching ${by}; saw ${r.status} ${message}`);
  return message;
}

/**
 * For each admission policy, a dry-run request of `as` that only that policy refuses: the chart's
 * shapes bent once (a token Secret, a Role beyond the autoscaler's, its own binding rewritten, an
 * image outside the allow-list, a namespace's Pod Security lifted).
 */
const POLICY_PROBES: Array<
  [resource: string, method: string, path: string, body: unknown, contentType?: string]
> = [
  [
    "secrets",
    "POST",
    `/api/v1/namespaces/${PROJECT_NS}/secrets`,
    {
      metadata: { name: "probe", annotations: { "kubernetes.io/service-account.name": "default" } },
      type: "kubernetes.io/service-account-token",
    },
  ],
  [
    "roles",
    "POST",
    `${RBAC}/namespaces/${PROJECT_NS}/roles`,
    { metadata: { name: "probe" }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }] },
  ],
  [
    "rolebindings",
    "PATCH",
    `${RBAC}/namespaces/${PROJECT_NS}/rolebindings/${SA}`,
    { subjects: [{ kind: "ServiceAccount", name: "probe", namespace: PROJECT_NS }] },
    "application/strategic-merge-patch+json",
  ],
  [
    "deployments",
    "POST",
    `/apis/apps/v1/namespaces/${PROJECT_NS}/deployments`,
    {
      metadata: { name: "probe" },
      spec: {
        selector: { matchLabels: { app: "probe" } },
        template: {
          metadata: { labels: { app: "probe" } },
          spec: { containers: [{ name: "probe", image: "docker.io/library/alpine:3" }] },
        },
      },
    },
  ],
  [
    "namespaces",
    "PATCH",
    `/api/v1/namespaces/${PROJECT_NS}`,
    { metadata: { labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
    "application/merge-patch+json",
  ],
];

/**
 * Waits until the API server enforces every admission policy for `as`: its informers load each policy
 * and binding on their own, so one refusing says nothing of the others.
 */
export async function policyEnforced(as: KubeClient): Promise<void> {
  const seen = new Map<string, string>();
  await waitFor(
    "every admission policy to be enforced",
    async () => {
      for (const [resource, method, path, body, contentType] of POLICY_PROBES) {
        if (seen.get(resource) === "enforced") continue;
        const r = await as.request(method, `${path}?dryRun=All`, { body, contentType });
        const message = String(r.body?.message);
        const by = DENIED_BY.policy.exec(message);
        seen.set(resource, r.status === 403 && by?.[1] === resource ? "enforced" : `${r.status} ${message}`);
      }
      return [...seen.values()].every((v) => v === "enforced") ? true : undefined;
    },
    30000,
  ).catch((e: Error) => {
    const pending = [...seen].filter(([, v]) => v !== "enforced").map(([k, v]) => `${k}: ${v}`);
    throw new Error(`${e.message}; not yet: ${pending.join("; ")}`);
  });
}
