import { DestroyMode } from "../../core/destroyMode";
import { Target } from "../remote";

export interface HelmBinaryInputs extends Target {
  readonly version: string;
  readonly tarballUrl: string;
  /** "" when the download is not pinned to a digest. */
  readonly tarballSha256: string;
  readonly installPath: string;
  readonly destroyMode: DestroyMode;
}

export interface HelmBinaryOutputs extends HelmBinaryInputs {
  /** `helm version --short` on the unit's PATH as last seen, "" when absent. */
  readonly liveVersion: string;
}
