import { DestroyMode } from "../../core/destroyMode";
import { RestartApi } from "../../core/restartApi";
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
  /**
   * `apply` only: the units after this one in the rolling restart, named when this restart fails.
   * Never diffed, so a change of `conductors` gives this unit no diff.
   */
  readonly rollAfter?: string[];
  /**
   * The API daemon restarted after the service, so that it loads the driver list anew (magnum-api
   * caches it per process); "" or absent (state of earlier releases) = none.
   */
  readonly apiService?: string;
  readonly restartApi?: RestartApi;
}

export interface ServiceRestartOutputs extends ServiceRestartInputs {
  /** "1" when the daemon was active, grafted and owed no restart at the last look. */
  readonly healthy: string;
  readonly pid: string;
  readonly drivers: string;
  readonly configDirLive: string;
  /** "1" while a change to what the daemon loads is newer than its start (the unit's restart mark). */
  readonly owed?: string;
  /** The driver version the running daemon loaded: the installed one once no restart is owed. */
  readonly runningVersion?: string;
  /** The API daemon's main pid at the last look; "" when the unit runs none or it is left alone. */
  readonly apiPid?: string;
  /** "1" while the API daemon still runs what it loaded before the last change. */
  readonly apiOwed?: string;
}
