import * as pulumi from "@pulumi/pulumi";
import { changedKeys, checkInputs } from "./diffing";
import { Connect, defaultConnect, need, runScript, Target } from "./remote";
import { DestroyMode } from "./remoteFile";
import { isHttpUrl, mustMatch, PATTERNS, redactUrls, shq } from "./transport/shell";
import { TransportSpec } from "./transport/transport";

export interface HelmBinaryInputs extends Target {
  readonly version: string;
  readonly tarballUrl: string;
  /** "" when the download is not pinned to a digest. */
  readonly tarballSha256: string;
  readonly installPath: string;
  readonly destroyMode: DestroyMode;
}

export interface HelmBinaryOutputs extends HelmBinaryInputs {
  /** `helm version --short` on the unit's PATH as last seen, "" when absent. */
  readonly liveVersion: string;
}

function validate(i: HelmBinaryInputs): void {
  mustMatch("unit", i.unit, PATTERNS.unit, "a unit name like magnum/0");
  mustMatch("destroyMode", i.destroyMode, /^(rollback|remove)$/, "rollback or remove");
  mustMatch("version", i.version, PATTERNS.helmVersion, "a helm version like v3.17.3");
  mustMatch("installPath", i.installPath, PATTERNS.absPath, "an absolute path");
  if (!isHttpUrl(i.tarballUrl))
    throw new Error(
      `tarballUrl: expected an http(s) URL without credentials, got ${redactUrls(i.tarballUrl)}`,
    );
  if (i.tarballSha256 !== "") mustMatch("tarballSha256", i.tarballSha256, PATTERNS.sha256, "64 hex digits");
}

function matches(live: string, want: string): boolean {
  return live === want || live.startsWith(`${want}+`);
}

const MEASURE = `measure() { emit version "$(helm version --short 2>/dev/null || true)"; emit path "$(command -v helm || true)"; }`;

function applyScript(i: HelmBinaryInputs): string {
  return `want=${shq(i.version)}
url=${shq(i.tarballUrl)}
sha=${shq(i.tarballSha256)}
dest=${shq(i.installPath)}
${MEASURE}
cur=$(helm version --short 2>/dev/null || true)
case "$cur" in
  "$want" | "$want+"*) emit changed 0 ;;
  *)
    # An install that another helm would shadow cannot pass the check below: refuse it up front.
    ddir=$(dirname -- "$dest"); on_path=0
    IFS=: read -ra dirs <<< "$PATH"
    for d in "\${dirs[@]}"; do
      if [ "$d" = "$ddir" ]; then on_path=1; break; fi
      [ ! -x "$d/helm" ] || gate "$dest first on PATH" "$d/helm comes before it; nothing was installed"
    done
    [ $on_path = 1 ] || gate "$ddir on PATH" "PATH=$PATH; nothing was installed"
    say "helm \${cur:-absent} -> $want from $url"
    state_init
    work=$(mktemp -d -- "$STATE_DIR/helm.XXXXXX")
    trap 'rm -rf -- "$work"' EXIT
    curl -fsSL --retry 2 --max-time 300 -o "$work/helm.tgz" -- "$url" || gate "a download of $url" "curl exit $?"
    if [ -n "$sha" ]; then
      got=$(sha256sum < "$work/helm.tgz" | cut -c1-64)
      [ "$got" = "$sha" ] || gate "a tarball of sha256 $sha" "sha256 $got; nothing was installed"
    fi
    tar -xzf "$work/helm.tgz" -C "$work" linux-amd64/helm 2>/dev/null || gate "linux-amd64/helm in the tarball" "no such member; nothing was installed"
    snapshot "$dest"
    install -m 0755 -o root -g root -- "$work/linux-amd64/helm" "$dest.graft-new"
    mv -T -- "$dest.graft-new" "$dest"
    emit changed 1 ;;
esac
cur=$(helm version --short 2>/dev/null || true)
case "$cur" in "$want" | "$want+"*) ;; *) gate "helm $want on PATH" "\${cur:-no helm} at $(command -v helm || echo nowhere)" ;; esac
measure`;
}

export class HelmBinaryProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly connect: Connect = defaultConnect) {}

  async check(_olds: HelmBinaryInputs, news: HelmBinaryInputs): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(news, validate, "version");
  }

  async diff(
    _id: string,
    olds: HelmBinaryOutputs,
    news: HelmBinaryInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedKeys(olds, news, ["unit", "installPath", "transport"]);
    const changed = changedKeys(olds, news, ["version", "tarballUrl", "tarballSha256", "destroyMode"]);
    const drift = !matches(olds.liveVersion, news.version);
    return {
      changes: replaces.length > 0 || changed.length > 0 || drift,
      replaces,
      deleteBeforeReplace: true,
    };
  }

  async create(inputs: HelmBinaryInputs): Promise<pulumi.dynamic.CreateResult> {
    validate(inputs);
    return { id: `${inputs.unit}:${inputs.installPath}`, outs: await this.apply(inputs) };
  }

  async update(
    _id: string,
    olds: HelmBinaryOutputs,
    news: HelmBinaryInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    validate(news);
    if (matches(olds.liveVersion, news.version)) return { outs: { ...olds, ...news } };
    return { outs: await this.apply(news) };
  }

  async read(id: string, props: HelmBinaryOutputs): Promise<pulumi.dynamic.ReadResult> {
    const r = await runScript(this.connect, props, "measure helm", `${MEASURE}\nmeasure`, {
      timeoutSeconds: 60,
    });
    return { id, props: { ...props, liveVersion: need(r, "version", "measure helm", props.unit) } };
  }

  async delete(_id: string, props: HelmBinaryOutputs): Promise<void> {
    await runScript(
      this.connect,
      props,
      `restore ${props.installPath} (${props.destroyMode})`,
      `restore ${shq(props.installPath)} ${shq(props.destroyMode)}`,
      { timeoutSeconds: 60 },
    );
  }

  private async apply(i: HelmBinaryInputs): Promise<HelmBinaryOutputs> {
    const step = `helm ${i.version}`;
    const r = await runScript(this.connect, i, step, applyScript(i), { timeoutSeconds: 420 });
    return { ...i, liveVersion: need(r, "version", step, i.unit) };
  }
}

export interface HelmBinaryArgs {
  readonly transport: pulumi.Input<TransportSpec>;
  readonly unit: pulumi.Input<string>;
  readonly version: pulumi.Input<string>;
  readonly tarballUrl: pulumi.Input<string>;
  readonly tarballSha256: pulumi.Input<string>;
  readonly installPath: pulumi.Input<string>;
  readonly destroyMode: pulumi.Input<DestroyMode>;
}

/** helm at a version on the unit's PATH, installed from the release tarball when missing or different. */
export class HelmBinary extends pulumi.dynamic.Resource {
  declare readonly liveVersion: pulumi.Output<string>;

  constructor(name: string, args: HelmBinaryArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      new HelmBinaryProvider(),
      name,
      { ...args, liveVersion: undefined },
      opts,
      "magnum-capi-graft",
      "HelmBinary",
    );
  }
}
