import * as pulumi from "@pulumi/pulumi";
import { PYTHON_FLOOR_PATTERN } from "../../core/pythonFloor";
import { isHttpUrl, mustMatch, PATTERNS, redactUrls } from "../../core/shell";
import { RemoteScript, remoteResource, GatedArgs, UndoableArgs } from "../kernel";
import { need } from "../remote";
import { applyScript, deleteScript, measureScript } from "./scripts";
import { PipPackageInputs, PipPackageOutputs } from "./types";

export { PipPackageInputs, PipPackageOutputs } from "./types";

const hasEntryPoint = (o: { entryPoints?: string }, name: string) =>
  (o.entryPoints ?? "").split(",").includes(name);

export const PIP_PACKAGE: RemoteScript<PipPackageInputs, PipPackageOutputs> = {
  replaceKeys: ["package"],
  // version and entryPointName reach the unit through the drift check, which compares them with it;
  // a floor matters only to the install or pin it guards, which a version change brings.
  applyKeys: ["entryPointGroup"],
  recordKeys: [
    "version",
    "indexUrl",
    "entryPointName",
    "rollbackVersion",
    "destroyMode",
    "pythonFloor",
    "rollbackPythonFloor",
  ],
  deleteBeforeReplace: true,
  tracksChanges: true,
  checkProperty: "version",
  validate(i) {
    mustMatch("package", i.package, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a distribution name");
    mustMatch("version", i.version, PATTERNS.pipVersion, "a release version like 1.4.0");
    mustMatch("rollbackVersion", i.rollbackVersion, PATTERNS.pipVersion, "a release version like 1.3.0");
    mustMatch("entryPointGroup", i.entryPointGroup, /^[A-Za-z0-9._-]+$/, "an entry point group");
    mustMatch("entryPointName", i.entryPointName, /^[A-Za-z0-9._-]+$/, "an entry point name");
    for (const key of ["pythonFloor", "rollbackPythonFloor"] as const)
      mustMatch(key, i[key] ?? "", PYTHON_FLOOR_PATTERN, 'a Python version like 3.10, or ""');
    if (i.indexUrl !== "" && !isHttpUrl(i.indexUrl))
      throw new Error(`indexUrl: expected an http(s) URL without credentials; saw ${redactUrls(i.indexUrl)}`);
  },
  id: (i) => `${i.unit}:pip:${i.package}`,
  drifted: (olds, news) =>
    olds.installedVersion !== news.version || !hasEntryPoint(olds, news.entryPointName),
  apply: (i) => ({
    step: `pip install ${i.package}==${i.version}`,
    body: applyScript(i),
    timeoutSeconds: 900,
  }),
  measure: (p) => ({ step: `measure ${p.package}`, body: measureScript(p), timeoutSeconds: 120 }),
  remove: (p) => ({
    step: `${p.package} ${p.destroyMode === "rollback" ? `pin back ${p.rollbackVersion}` : "uninstall"}`,
    body: deleteScript(p),
    timeoutSeconds: 900,
  }),
  live: (r, step, unit) => ({
    installedVersion: need(r, "version", step, unit),
    entryPoints: need(r, "entry_points", step, unit),
  }),
  verify: (live, i) =>
    live.installedVersion === i.version && hasEntryPoint(live, i.entryPointName)
      ? undefined
      : {
          expected: `version ${i.version} with entry point ${i.entryPointName} in ${i.entryPointGroup}`,
          seen: `version ${live.installedVersion || "none"} with [${live.entryPoints}]`,
        },
};

export interface PipPackageArgs extends UndoableArgs, GatedArgs {
  readonly package: pulumi.Input<string>;
  readonly version: pulumi.Input<string>;
  readonly indexUrl: pulumi.Input<string>;
  readonly entryPointGroup: pulumi.Input<string>;
  readonly entryPointName: pulumi.Input<string>;
  readonly rollbackVersion: pulumi.Input<string>;
  /** The lowest python3 `version` installs on ("" for none known). */
  readonly pythonFloor: pulumi.Input<string>;
  /** The lowest python3 `rollbackVersion` installs on ("" for none known). */
  readonly rollbackPythonFloor: pulumi.Input<string>;
}

/** A pinned pip distribution (no deps: the deb-managed stack stays as it is) with its entry point. */
export class PipPackage extends remoteResource<PipPackageArgs, PipPackageInputs, PipPackageOutputs>(
  "PipPackage",
  PIP_PACKAGE,
  ["installedVersion", "entryPoints", "changedAt", "gatesSeen"],
) {
  declare readonly changedAt: pulumi.Output<string>;
  declare readonly installedVersion: pulumi.Output<string>;
  declare readonly entryPoints: pulumi.Output<string>;
  declare readonly gatesSeen: pulumi.Output<string | undefined>;
}
