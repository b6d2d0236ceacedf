import { GatedInputs, GatedOutputs } from "../gates";
import { DestroyMode } from "../../core/destroyMode";
import { Target } from "../remote";

/** `gates` only in state written while helm ran the TCP gate: a refresh still measures them. */
export interface HelmBinaryInputs extends Target, GatedInputs {
  readonly version: string;
  readonly tarballUrl: string;
  /** "" when the download is not pinned to a digest. */
  readonly tarballSha256: string;
  readonly installPath: string;
  readonly destroyMode: DestroyMode;
}

export interface HelmBinaryOutputs extends HelmBinaryInputs, GatedOutputs {
  /** `helm version --short` on the unit's PATH as last seen, "" when absent. */
  readonly liveVersion: string;
  /** "1" when the graft keeps the helm it replaced; absent in state written before it was recorded. */
  readonly hasOriginal?: string;
}
