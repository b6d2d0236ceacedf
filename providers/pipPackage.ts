import * as pulumi from "@pulumi/pulumi";
import { changedKeys, checkInputs } from "./diffing";
import { Connect, defaultConnect, need, runScript, Target } from "./remote";
import { DestroyMode } from "./remoteFile";
import { isHttpUrl, mustMatch, PATTERNS, redactUrls, shq } from "./transport/shell";
import { TransportSpec } from "./transport/transport";

export interface PipPackageInputs extends Target {
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

export interface PipPackageOutputs extends PipPackageInputs {
  /** When this resource last really changed the unit ("" never): what a restart follows. */
  readonly changedAt: string;
  /** Version installed on the unit as last seen, "" when absent. */
  readonly installedVersion: string;
  /** Names in the entry point group as last seen, comma-separated. */
  readonly entryPoints: string;
}

function validate(i: PipPackageInputs): void {
  mustMatch("unit", i.unit, PATTERNS.unit, "a unit name like magnum/0");
  mustMatch("destroyMode", i.destroyMode, /^(rollback|remove)$/, "rollback or remove");
  mustMatch("package", i.package, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a distribution name");
  mustMatch("version", i.version, PATTERNS.pipVersion, "a release version like 1.4.0");
  mustMatch("rollbackVersion", i.rollbackVersion, PATTERNS.pipVersion, "a release version like 1.3.0");
  mustMatch("entryPointGroup", i.entryPointGroup, /^[A-Za-z0-9._-]+$/, "an entry point group");
  mustMatch("entryPointName", i.entryPointName, /^[A-Za-z0-9._-]+$/, "an entry point name");
  if (i.indexUrl !== "" && !isHttpUrl(i.indexUrl))
    throw new Error(`indexUrl: expected an http(s) URL without credentials, got ${redactUrls(i.indexUrl)}`);
}

function common(i: PipPackageInputs): string {
  return `pkg=${shq(i.package)}
group=${shq(i.entryPointGroup)}
index=${shq(i.indexUrl)}
installed() { python3 -m pip show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' || true; }
measure() {
  emit version "$(installed)"
  emit entry_points "$(python3 -c 'import sys, importlib.metadata as m; print(",".join(sorted(e.name for e in m.entry_points(group=sys.argv[1]))))' "$group")"
}
# pip's output goes out as progress while it runs; on failure its last lines become the message.
pip_run() {
  state_init
  local log="$STATE_DIR/pip.log" rc
  local idx=(); [ -n "$index" ] && idx=(--index-url "$index")
  set +e
  python3 -m pip install --no-deps --disable-pip-version-check "\${idx[@]}" "$@" 2>&1 | tee "$log" | while IFS= read -r l; do say "$l"; done
  rc=\${PIPESTATUS[0]}
  set -e
  [ "$rc" = 0 ] || gate "pip install $* to succeed" "exit $rc: $(tail -n 2 "$log" | tr '\\n' ' ')"
}`;
}

function applyScript(i: PipPackageInputs): string {
  return `${common(i)}
want=${shq(i.version)}
cur=$(installed)
if [ "$cur" != "$want" ]; then
  mark_restart
  say "installing $pkg==$want (was \${cur:-not installed})"
  pip_run --upgrade "$pkg==$want"
  emit changed 1
else
  emit changed 0
fi
measure`;
}

function deleteScript(p: PipPackageOutputs): string {
  if (p.destroyMode === "rollback") {
    return `${common(p)}
rollback=${shq(p.rollbackVersion)}
mark_restart
say "pinning back $pkg==$rollback"
pip_run --force-reinstall "$pkg==$rollback"
[ "$(installed)" = "$rollback" ] || gate "$pkg $rollback installed" "$(installed)"`;
  }
  return `${common(p)}
if [ -n "$(installed)" ]; then
  mark_restart
  python3 -m pip uninstall -y --disable-pip-version-check "$pkg" >&2
fi
[ -z "$(installed)" ] || gate "$pkg uninstalled" "$(installed) still installed"`;
}

export class PipPackageProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly connect: Connect = defaultConnect) {}

  async check(_olds: PipPackageInputs, news: PipPackageInputs): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(news, validate, "version");
  }

  async diff(
    _id: string,
    olds: PipPackageOutputs,
    news: PipPackageInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedKeys(olds, news, ["unit", "package", "transport"]);
    const changed = changedKeys(olds, news, [
      "version",
      "indexUrl",
      "entryPointGroup",
      "entryPointName",
      "rollbackVersion",
      "destroyMode",
    ]);
    const drift = olds.installedVersion !== news.version || !hasEntryPoint(olds, news.entryPointName);
    return {
      changes: replaces.length > 0 || changed.length > 0 || drift,
      replaces,
      deleteBeforeReplace: true,
    };
  }

  async create(inputs: PipPackageInputs): Promise<pulumi.dynamic.CreateResult> {
    validate(inputs);
    return { id: `${inputs.unit}:pip:${inputs.package}`, outs: await this.apply(inputs) };
  }

  async update(
    _id: string,
    olds: PipPackageOutputs,
    news: PipPackageInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    validate(news);
    if (
      olds.installedVersion === news.version &&
      olds.entryPointGroup === news.entryPointGroup &&
      hasEntryPoint(olds, news.entryPointName)
    ) {
      // Only settings that matter at destroy changed: nothing to do on the unit.
      return { outs: { ...olds, ...news } };
    }
    return { outs: await this.apply(news, olds.changedAt) };
  }

  async read(id: string, props: PipPackageOutputs): Promise<pulumi.dynamic.ReadResult> {
    const step = `measure ${props.package}`;
    const r = await runScript(this.connect, props, step, `${common(props)}\nmeasure`, {
      timeoutSeconds: 120,
    });
    return { id, props: { ...props, ...live(r, step, props.unit) } };
  }

  async delete(_id: string, props: PipPackageOutputs): Promise<void> {
    const what = props.destroyMode === "rollback" ? `pin back ${props.rollbackVersion}` : "uninstall";
    await runScript(this.connect, props, `${props.package} ${what}`, deleteScript(props), {
      timeoutSeconds: 900,
    });
  }

  private async apply(i: PipPackageInputs, changedBefore = ""): Promise<PipPackageOutputs> {
    const step = `pip install ${i.package}==${i.version}`;
    const r = await runScript(this.connect, i, step, applyScript(i), { timeoutSeconds: 900 });
    const m = live(r, step, i.unit);
    if (m.installedVersion !== i.version || !hasEntryPoint(m, i.entryPointName)) {
      throw new Error(
        `${step} on ${i.unit}: expected version ${i.version} with entry point ${i.entryPointName} in ` +
          `${i.entryPointGroup}; saw version ${m.installedVersion || "none"} with [${m.entryPoints}]. ` +
          "Fix the cause and run `pulumi up` again to resume, or `pulumi destroy` to roll back.",
      );
    }
    return { ...i, ...m, changedAt: r.changed === "1" ? new Date().toISOString() : changedBefore };
  }
}

function hasEntryPoint(o: { entryPoints: string }, name: string): boolean {
  return o.entryPoints.split(",").includes(name);
}

function live(r: Record<string, string>, step: string, unit: string) {
  return {
    installedVersion: need(r, "version", step, unit),
    entryPoints: need(r, "entry_points", step, unit),
  };
}

export interface PipPackageArgs {
  readonly transport: pulumi.Input<TransportSpec>;
  readonly unit: pulumi.Input<string>;
  readonly package: pulumi.Input<string>;
  readonly version: pulumi.Input<string>;
  readonly indexUrl: pulumi.Input<string>;
  readonly entryPointGroup: pulumi.Input<string>;
  readonly entryPointName: pulumi.Input<string>;
  readonly rollbackVersion: pulumi.Input<string>;
  readonly destroyMode: pulumi.Input<DestroyMode>;
}

/** A pinned pip distribution (no deps: the deb-managed stack stays as it is) with its entry point. */
export class PipPackage extends pulumi.dynamic.Resource {
  declare readonly changedAt: pulumi.Output<string>;
  declare readonly installedVersion: pulumi.Output<string>;
  declare readonly entryPoints: pulumi.Output<string>;

  constructor(name: string, args: PipPackageArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      new PipPackageProvider(),
      name,
      { ...args, installedVersion: undefined, entryPoints: undefined, changedAt: undefined },
      opts,
      "magnum-capi-graft",
      "PipPackage",
    );
  }
}
