import { DestroyMode } from "../../core/destroyMode";
import { Target } from "../remote";

export interface ManagedBlockInputs extends Target {
  readonly path: string;
  /** Lines between `# BEGIN <marker>` and `# END <marker>`; the rest of the file belongs to others. */
  readonly block: string;
  readonly marker: string;
  /** The init script whose `show-args` must show every string of `showArgsMustContain`. */
  readonly initScript: string;
  readonly showArgsMustContain: string[];
  readonly destroyMode: DestroyMode;
}

export interface ManagedBlockOutputs extends ManagedBlockInputs {
  /** When this resource last really changed the unit ("" never): what a restart follows. */
  readonly changedAt: string;
  /** sha256 of the block as found on the unit, "absent" without one. */
  readonly liveBlockSha: string;
  /** "1" when show-args showed everything required at the last look. */
  readonly showArgsOk: string;
  readonly showArgs: string;
}
