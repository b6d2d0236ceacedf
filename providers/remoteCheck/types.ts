import { Target } from "../remote";

/** The read-only gates of the runbook. Each reruns when its inputs change and is re-measured on refresh. */
export type CheckSpec =
  | { readonly kind: "preflight"; readonly address: string; readonly magnumConf: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "egress"; readonly urls: string[] }
  | {
      readonly kind: "helmAuth";
      readonly kubeconfigPath: string;
      readonly service: string;
      readonly expectedReleases: string[];
    }
  | ChartIndexCheck;

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
