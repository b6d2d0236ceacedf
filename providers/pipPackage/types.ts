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
  /**
   * The lowest python3 `version` installs on, as "3.10"; "" for none known (pip decides). Absent in
   * state written before the floor was checked.
   */
  readonly pythonFloor?: string;
  /** The same for `rollbackVersion`: a rollback pin onto a Python it does not support is refused. */
  readonly rollbackPythonFloor?: string;
}

export interface PipPackageOutputs extends PipPackageInputs, GatedOutputs {
  /** When this resource last really changed the unit ("" never): what a restart follows. */
  readonly changedAt: string;
  /** Version installed on the unit as last seen, "" when absent. */
  readonly installedVersion: string;
  /** Names in the entry point group as last seen, comma-separated. */
  readonly entryPoints: string;
}
