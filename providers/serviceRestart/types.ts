import { DestroyMode } from "../../core/destroyMode";
import { Target } from "../remote";

/**
 * `apply`: restart after the graft's changes (when a change left a restart owed, or the daemon is not
 * in the grafted state) and verify. `destroy`: nothing on create; on delete, the restart that follows
 * a rollback. Created before the mutations, it is deleted after their pin-back and restores.
 */
export type RestartWhen = "apply" | "destroy";

export interface ServiceRestartInputs extends Target {
  readonly service: string;
  readonly when: RestartWhen;
  /** Values of what the restart follows; a change reruns it. */
  readonly triggers: string[];
  readonly configDir: string;
  readonly driver: string;
  readonly settleSeconds: number;
  readonly destroyMode: DestroyMode;
}

export interface ServiceRestartOutputs extends ServiceRestartInputs {
  /** "1" when the daemon was active, grafted and owed no restart at the last look. */
  readonly healthy: string;
  readonly pid: string;
  readonly drivers: string;
  readonly configDirLive: string;
}
