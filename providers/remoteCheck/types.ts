import { Target } from "../remote";

/** The read-only gates of the runbook. Each reruns when its inputs change and is re-measured on refresh. */
export type CheckSpec =
  | { readonly kind: "preflight"; readonly address: string; readonly magnumConf: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "egress"; readonly urls: string[] }
  | AuthProof
  | ChartIndexCheck;

/** One RBAC rule the delivered credential must hold (group "" is the core group). */
export interface AuthRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
}

/**
 * As the service user, with the delivered kubeconfig: the credential authenticates and holds what the
 * driver does (SelfSubjectAccessReviews); then helm lists releases, all namespaces or the projects'.
 */
export interface AuthProof {
  readonly kind: "helmAuth";
  readonly kubeconfigPath: string;
  readonly service: string;
  /** Releases `helm list -A` must show; only with allNamespaces. */
  readonly expectedReleases: string[];
  /** `helm list -A` (admin); false lists each project namespace instead (a scoped account). */
  readonly allNamespaces?: boolean;
  /** Cluster-scoped rules to hold; absent in state written before the scoped credential. */
  readonly clusterRules?: AuthRule[];
  /** Rules to hold in each of `namespaces`. */
  readonly namespacedRules?: AuthRule[];
  readonly namespaces?: string[];
}

/** The configured chart version must be in the repo's index.yaml as a conductor sees it. */
export interface ChartIndexCheck {
  readonly kind: "chartIndex";
  readonly repo: string;
  readonly chart: string;
  readonly version: string;
}

export interface RemoteCheckInputs extends Target {
  readonly check: CheckSpec;
  /** Anything whose change must rerun the gate (the desired state it guards). */
  readonly guards: string;
}

export interface RemoteCheckOutputs extends RemoteCheckInputs {
  /** "1" when the gate held at the last look. */
  readonly passed: string;
  /** What the gate saw, for the outputs and for the next failure message. */
  readonly seen: string;
}
