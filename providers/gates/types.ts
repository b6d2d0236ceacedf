/**
 * The read-only GATEs of the runbook. Each runs inside the script of the step it guards, before that
 * step changes anything, and reruns whenever the step's `gates` or `guards` change.
 */
export type GateSpec =
  | {
      readonly kind: "preflight";
      readonly address: string;
      readonly magnumConf: string;
      /** The driver to install and its Python floor ("" none known): an older python3 stops the unit here. */
      readonly driver?: string;
      readonly pythonFloor?: string;
    }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "egress"; readonly urls: string[] }
  | AuthProof
  | ChartIndexCheck;

/** A step's gates as its provider sees them; absent in state written before gates joined their steps. */
export interface GatedInputs {
  readonly gates?: GateSpec[];
  readonly guards?: string;
}

export interface GatedOutputs extends GatedInputs {
  /** What each gate saw when they last ran, by step (or, after a refresh, the one that failed). */
  readonly gatesSeen?: string;
  /** "0" when a refresh found a gate no longer holding: the next up reruns the step. */
  readonly gatesHeld?: string;
}

/** One RBAC rule the delivered credential must hold (group "" is the core group). */
export interface AuthRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  /** Held for these objects only: each is asked by name. */
  readonly resourceNames?: string[];
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

/**
 * The configured chart version must be where the driver fetches it, as a conductor sees it: in the
 * repo's index.yaml, or, with repo "" and chart `oci://host/path/chart`, among the registry's tags.
 */
export interface ChartIndexCheck {
  readonly kind: "chartIndex";
  /** helm_chart_repo: an http(s) URL, or "" for an OCI chart. */
  readonly repo: string;
  /** helm_chart_name: a chart name, or `oci://host[:port]/path/chart` when repo is "". */
  readonly chart: string;
  readonly version: string;
}
