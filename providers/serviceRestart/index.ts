import * as pulumi from "@pulumi/pulumi";
import { mustMatch, PATTERNS } from "../../core/shell";
import { RemoteScript, remoteResource, UndoableArgs } from "../kernel";
import { need } from "../remote";
import { RESTART_API, RestartApi } from "../../core/restartApi";
import { applyScript, measureScript, RESTART_TIMEOUT_SECONDS, rollbackScript } from "./scripts";
import { RestartWhen, ServiceRestartInputs, ServiceRestartOutputs } from "./types";

export { RestartWhen, ServiceRestartInputs, ServiceRestartOutputs } from "./types";

export const SERVICE_RESTART: RemoteScript<ServiceRestartInputs, ServiceRestartOutputs> = {
  replaceKeys: ["service", "when"],
  // The API's keys rerun the restart: on state of earlier releases, that restarts an API they left stale.
  applyKeys: ["triggers", "configDir", "driver", "settleSeconds", "apiService", "restartApi"],
  recordKeys: ["destroyMode"],
  deleteBeforeReplace: false,
  tracksChanges: false,
  checkProperty: "service",
  validate(i) {
    mustMatch("service", i.service, PATTERNS.serviceName, "a service name");
    mustMatch("configDir", i.configDir, PATTERNS.absPath, "an absolute path");
    mustMatch("driver", i.driver, /^[A-Za-z0-9_.-]+$/, "a driver name");
    if (!Number.isInteger(i.settleSeconds) || i.settleSeconds < 1)
      throw new Error("settleSeconds: expected >= 1");
    for (const u of i.rollAfter ?? []) mustMatch("rollAfter", u, PATTERNS.unit, "a unit name like magnum/0");
    if (i.restartApi !== undefined)
      mustMatch("restartApi", i.restartApi, RESTART_API.pattern, RESTART_API.expected);
    const api = i.apiService ?? "";
    if (api !== "" || i.restartApi === "true")
      mustMatch("apiService", api, PATTERNS.serviceName, "a service name");
  },
  id: (i) => `${i.unit}:${i.service}:${i.when}`,
  drifted: (olds, news) => news.when === "apply" && olds.healthy !== "1",
  apply: (i) =>
    i.when === "destroy"
      ? { recorded: { healthy: "1", pid: "", drivers: "", configDirLive: "" } }
      : {
          step: `restart ${i.service}`,
          body: applyScript(i),
          timeoutSeconds: RESTART_TIMEOUT_SECONDS,
          note: rollNote(i),
        },
  measure: (p) =>
    p.when === "destroy"
      ? undefined
      : { step: `measure ${p.service}`, body: measureScript(p), timeoutSeconds: 120 },
  remove: (p) =>
    p.when !== "destroy"
      ? undefined
      : {
          step: `restart ${p.service} after ${p.destroyMode}`,
          body: rollbackScript(p),
          timeoutSeconds: RESTART_TIMEOUT_SECONDS,
        },
  live: (r, step, unit) => ({
    healthy: need(r, "healthy", step, unit),
    pid: r.pid ?? "",
    drivers: need(r, "drivers", step, unit),
    configDirLive: need(r, "config_dir", step, unit),
    owed: need(r, "owed", step, unit),
    runningVersion: r.running_version ?? "",
    apiPid: r.api_pid ?? "",
    apiOwed: r.api_owed ?? "",
  }),
};

/**
 * The rolling restart's word on a failure: this unit and every later one still owe their restart.
 * The later units come as an input that no key list holds, so it is never diffed: a change of
 * `conductors` gives no other unit a diff, yet the failing operation sees the current order (create and
 * update get the new inputs). Not done in a component: the program never sees a resource's failure,
 * the engine reports it; and a diffed input would touch every unit whenever one is added or removed.
 */
function rollNote(i: ServiceRestartInputs): string | undefined {
  if (i.rollAfter === undefined) return undefined;
  const owing = [i.unit, ...i.rollAfter].join(", ");
  return (
    `The rolling restart stopped at ${i.unit}; still owing a restart: ${owing}. ` +
    "`pulumi up` after the fix continues the roll from here."
  );
}

export interface ServiceRestartArgs extends UndoableArgs {
  readonly service: pulumi.Input<string>;
  readonly when: RestartWhen;
  readonly triggers: pulumi.Input<pulumi.Input<string>[]>;
  readonly configDir: pulumi.Input<string>;
  readonly driver: pulumi.Input<string>;
  readonly settleSeconds: pulumi.Input<number>;
  /** The units after this one in the rolling restart (not diffed: named only if this restart fails). */
  readonly rollAfter?: pulumi.Input<pulumi.Input<string>[]>;
  /** The API daemon restarted after the service (magnum-api), and whether: see RestartApi. */
  readonly apiService: pulumi.Input<string>;
  readonly restartApi: pulumi.Input<RestartApi>;
}

export class ServiceRestart extends remoteResource<
  ServiceRestartArgs,
  ServiceRestartInputs,
  ServiceRestartOutputs
>("ServiceRestart", SERVICE_RESTART, [
  "healthy",
  "pid",
  "drivers",
  "configDirLive",
  "owed",
  "runningVersion",
  "apiPid",
  "apiOwed",
]) {
  declare readonly drivers: pulumi.Output<string>;
  declare readonly configDirLive: pulumi.Output<string>;
  declare readonly pid: pulumi.Output<string>;
  declare readonly owed: pulumi.Output<string | undefined>;
  declare readonly runningVersion: pulumi.Output<string | undefined>;
  declare readonly apiPid: pulumi.Output<string | undefined>;
  declare readonly apiOwed: pulumi.Output<string | undefined>;
}
