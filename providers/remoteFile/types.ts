import { GatedInputs, GatedOutputs } from "../gates";
import { DestroyMode } from "../../core/destroyMode";
import { Target } from "../remote";

export interface RemoteFileInputs extends Target, GatedInputs {
  readonly path: string;
  /** Travels only as the stdin of the call that writes it. */
  readonly content: string;
  readonly mode: string;
  /** A literal owner, or the User= of this systemd service when `ownerFromService` is set. */
  readonly owner: string;
  readonly ownerFromService: string;
  readonly asciiOnly: boolean;
  readonly restartOnChange: boolean;
  readonly destroyMode: DestroyMode;
}

export interface RemoteFileOutputs extends Omit<RemoteFileInputs, "content">, GatedOutputs {
  /** When this resource last really changed the unit ("" never): what a restart follows. */
  readonly changedAt: string;
  /** Live sha256 of the file, "absent" when it does not exist. */
  readonly sha256: string;
  readonly liveMode: string;
  readonly liveOwner: string;
  /** The owner the file must have: `owner`, or the service's user as last seen. */
  readonly expectedOwner: string;
  /** "1" when the graft keeps the pre-graft file; absent in state written before it was recorded. */
  readonly hasOriginal?: string;
}
