import * as pulumi from "@pulumi/pulumi";
import { isHttpUrl, mustMatch, PATTERNS, redactUrls } from "../../core/shell";
import { RemoteScript, remoteResource, restoreUnlessAdded, UndoableArgs } from "../kernel";
import { need } from "../remote";
import { applyScript, measureScript, restoreScript } from "./scripts";
import { HelmBinaryInputs, HelmBinaryOutputs } from "./types";

export { HelmBinaryInputs, HelmBinaryOutputs } from "./types";

/** A build suffix (`v3.17.3+ge4da497`) still is the version asked for. */
const matches = (live: string, want: string) => live === want || live.startsWith(`${want}+`);

export const HELM_BINARY: RemoteScript<HelmBinaryInputs, HelmBinaryOutputs> = {
  replaceKeys: ["installPath"],
  applyKeys: [],
  // The version reaches the unit through the drift check, which compares it with the live one.
  recordKeys: ["version", "tarballUrl", "tarballSha256", "destroyMode"],
  deleteBeforeReplace: true,
  tracksChanges: false,
  checkProperty: "version",
  validate(i) {
    mustMatch("version", i.version, PATTERNS.helmVersion, "a helm version like v3.17.3");
    mustMatch("installPath", i.installPath, PATTERNS.absPath, "an absolute path");
    if (!isHttpUrl(i.tarballUrl))
      throw new Error(
        `tarballUrl: expected an http(s) URL without credentials; saw ${redactUrls(i.tarballUrl)}`,
      );
    if (i.tarballSha256 !== "") mustMatch("tarballSha256", i.tarballSha256, PATTERNS.sha256, "64 hex digits");
  },
  id: (i) => `${i.unit}:${i.installPath}`,
  drifted: (olds, news) => !matches(olds.liveVersion, news.version),
  apply: (i) => ({ step: `helm ${i.version}`, body: applyScript(i), timeoutSeconds: 420 }),
  measure: (p) => ({ step: "measure helm", body: measureScript(p), timeoutSeconds: 60 }),
  remove: (p) =>
    restoreUnlessAdded(p, {
      step: `restore ${p.installPath} (${p.destroyMode})`,
      body: restoreScript(p),
      timeoutSeconds: 60,
    }),
  live: (r, step, unit) => ({
    liveVersion: need(r, "version", step, unit),
    hasOriginal: need(r, "has_original", step, unit),
  }),
};

export interface HelmBinaryArgs extends UndoableArgs {
  readonly version: pulumi.Input<string>;
  readonly tarballUrl: pulumi.Input<string>;
  readonly tarballSha256: pulumi.Input<string>;
  readonly installPath: pulumi.Input<string>;
}

/** helm at a version on the unit's PATH, installed from the release tarball when missing or different. */
export class HelmBinary extends remoteResource<HelmBinaryArgs, HelmBinaryInputs, HelmBinaryOutputs>(
  "HelmBinary",
  HELM_BINARY,
  ["liveVersion", "hasOriginal"],
) {
  declare readonly liveVersion: pulumi.Output<string>;
}
