import { GatedInputs, GatedOutputs } from "../gates";
import { DestroyMode } from "../../core/destroyMode";
import { Target } from "../remote";

export interface PipPackageInputs extends Target, GatedInputs {
  readonly package: string;
  readonly version: string;
  /** "" for pip's own default index. */
  readonly indexUrl: string;
  readonly entryPointGroup: string;
  readonly entryPointName: string;
  /** What destroy pins back in rollback mode. */
  readonly rollbackVersion: string;
  readonly destroyMode: DestroyMode;
}

export interface PipPackageOutputs extends PipPackageInputs, GatedOutputs {
  /** When this resource last really changed the unit ("" never): what a restart follows. */
  readonly changedAt: string;
  /** Version installed on the unit as last seen, "" when absent. */
  readonly installedVersion: string;
  /** Names in the entry point group as last seen, comma-separated. */
  readonly entryPoints: string;
}
