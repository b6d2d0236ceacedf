import * as pulumi from "@pulumi/pulumi";
import { changedKeys, checkInputs, sha256 } from "./diffing";
import { Connect, defaultConnect, need, runScript, Target } from "./remote";
import { DestroyMode } from "./remoteFile";
import { mustMatch, PATTERNS, shq } from "./transport/shell";
import { TransportSpec } from "./transport/transport";

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

function validate(i: ManagedBlockInputs): void {
  mustMatch("unit", i.unit, PATTERNS.unit, "a unit name like magnum/0");
  mustMatch("destroyMode", i.destroyMode, /^(rollback|remove)$/, "rollback or remove");
  mustMatch("path", i.path, PATTERNS.absPath, "an absolute path");
  mustMatch("initScript", i.initScript, PATTERNS.absPath, "an absolute path");
  mustMatch("marker", i.marker, /^[A-Za-z0-9 ._-]+$/, "a plain marker name");
  if (/\r|\0/.test(i.block)) throw new Error("block: carriage returns and NUL bytes are not allowed");
  for (const want of i.showArgsMustContain) {
    if (want === "" || /[\r\n\0]/.test(want))
      throw new Error("showArgsMustContain: expected non-empty single-line strings");
  }
}

function common(i: ManagedBlockInputs): string {
  const required = i.showArgsMustContain.map(shq).join(" ");
  return `path=${shq(i.path)}
begin=${shq(`# BEGIN ${i.marker}`)}
end=${shq(`# END ${i.marker}`)}
block_of() { [ -f "$1" ] && awk -v b="$begin" -v e="$end" '$0==e{s=0} s{print} $0==b{s=1}' "$1" || true; }
has_block() { [ -f "$1" ] && grep -qxF -- "$begin" "$1"; }
show_args_check() {
  args=$(${shq(i.initScript)} show-args 2>&1) || { emit show_args "show-args failed: $(printf '%s' "$args" | tail -n 2 | tr '\\n' ' ')"; return 1; }
  args=$(printf '%s' "$args" | tr '\\n' ' ')
  emit show_args "$args"
  for want in ${required}; do
    case " $args " in *"$want"*) ;; *) return 1 ;; esac
  done
}
measure_block() {
  if has_block "$path"; then emit block_sha "$(block_of "$path" | sha256sum | cut -c1-64)"; else emit block_sha absent; fi
}
measure() {
  measure_block
  if show_args_check; then emit show_args_ok 1; else emit show_args_ok 0; fi
}`;
}

/** blockinfile: the block replaced in place (or appended), everything else kept byte for byte. */
function applyScript(i: ManagedBlockInputs): string {
  return `${common(i)}
dir=$(dirname -- "$path")
new=$(mktemp -- "$dir/.graft.XXXXXX"); blk=$(mktemp -- "$dir/.graft.XXXXXX"); old=$(mktemp -- "$dir/.graft.XXXXXX")
trap 'rm -f -- "$new" "$blk" "$old"' EXIT
printf '%s\\n' ${shq(i.block)} > "$blk"
existed=0; [ -f "$path" ] && existed=1 && cp -a -- "$path" "$old"
awk -v b="$begin" -v e="$end" -v f="$blk" '
  function put() { print b; while ((getline l < f) > 0) print l; print e; done = 1 }
  $0 == b { if (!done) put(); s = 1; next }
  s && $0 == e { s = 0; next }
  !s { print }
  END { if (!done) put() }' "$old" > "$new"
if [ $existed = 1 ] && cmp -s -- "$new" "$path"; then
  emit changed 0
  measure
else
  snapshot "$path"
  mark_restart
  if [ $existed = 1 ]; then chown --reference="$path" -- "$new"; chmod --reference="$path" -- "$new"; else chmod 0644 -- "$new"; fi
  mv -T -- "$new" "$path"
  emit changed 1
  if ! res=$(show_args_check); then
    # The gate guards the restart: put the previous file back so nothing half-applied remains.
    if [ $existed = 1 ]; then mv -T -- "$old" "$path"; else rm -f -- "$path"; fi
    seen=$(printf '%s\n' "$res" | sed -n 's/^show_args=//p')
    gate ${shq(`show-args showing ${i.showArgsMustContain.join(" and ")}`)} "$seen; $path was put back as it was"
  fi
  # The gate just ran show-args on the new file: report what it saw rather than run it again.
  printf '%s\n' "$res"
  measure_block
  emit show_args_ok 1
fi
`;
}

function deleteScript(p: ManagedBlockOutputs): string {
  if (p.destroyMode === "rollback") return `restore ${shq(p.path)} rollback`;
  return `${common(p)}
snap=$(snap_dir "$path")
if has_block "$path"; then
  mark_restart
  tmp=$(mktemp -- "$(dirname -- "$path")/.graft.XXXXXX"); trap 'rm -f -- "$tmp"' EXIT
  awk -v b="$begin" -v e="$end" '$0==b{s=1;next} s&&$0==e{s=0;next} !s{print}' "$path" > "$tmp"
  chown --reference="$path" -- "$tmp"; chmod --reference="$path" -- "$tmp"
  mv -T -- "$tmp" "$path"
fi
# A file the graft created and that now holds nothing else goes too.
if [ -d "$snap" ] && [ ! -e "$snap/content" ] && [ -f "$path" ] && ! grep -q '[^[:space:]]' "$path"; then rm -f -- "$path"; fi
rm -rf -- "$snap"`;
}

export class ManagedBlockProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly connect: Connect = defaultConnect) {}

  async check(_olds: ManagedBlockInputs, news: ManagedBlockInputs): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(news, validate, "block");
  }

  async diff(
    _id: string,
    olds: ManagedBlockOutputs,
    news: ManagedBlockInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedKeys(olds, news, ["unit", "path", "marker", "transport"]);
    const changed = changedKeys(olds, news, ["block", "initScript", "showArgsMustContain", "destroyMode"]);
    const drift = olds.liveBlockSha !== blockSha(news.block) || olds.showArgsOk !== "1";
    return {
      changes: replaces.length > 0 || changed.length > 0 || drift,
      replaces,
      deleteBeforeReplace: true,
    };
  }

  async create(inputs: ManagedBlockInputs): Promise<pulumi.dynamic.CreateResult> {
    validate(inputs);
    return { id: `${inputs.unit}:${inputs.path}#${inputs.marker}`, outs: await this.apply(inputs) };
  }

  async update(
    _id: string,
    olds: ManagedBlockOutputs,
    news: ManagedBlockInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    validate(news);
    const inPlace = olds.liveBlockSha === blockSha(news.block) && olds.showArgsOk === "1";
    if (inPlace && changedKeys(olds, news, ["block", "initScript", "showArgsMustContain"]).length === 0) {
      return { outs: { ...olds, destroyMode: news.destroyMode } };
    }
    return { outs: await this.apply(news, olds.changedAt) };
  }

  async read(id: string, props: ManagedBlockOutputs): Promise<pulumi.dynamic.ReadResult> {
    const step = `measure ${props.path}`;
    const r = await runScript(this.connect, props, step, `${common(props)}\nmeasure`, { timeoutSeconds: 60 });
    return { id, props: { ...props, ...live(r, step, props.unit) } };
  }

  async delete(_id: string, props: ManagedBlockOutputs): Promise<void> {
    await runScript(
      this.connect,
      props,
      `restore ${props.path} (${props.destroyMode})`,
      deleteScript(props),
      {
        timeoutSeconds: 60,
      },
    );
  }

  private async apply(i: ManagedBlockInputs, changedBefore = ""): Promise<ManagedBlockOutputs> {
    const step = `block in ${i.path}`;
    const r = await runScript(this.connect, i, step, applyScript(i), { timeoutSeconds: 60 });
    const m = live(r, step, i.unit);
    if (m.liveBlockSha !== blockSha(i.block) || m.showArgsOk !== "1") {
      throw new Error(
        `${step} on ${i.unit}: the block or show-args did not verify after writing (${m.showArgs})`,
      );
    }
    return { ...i, ...m, changedAt: r.changed === "1" ? new Date().toISOString() : changedBefore };
  }
}

function blockSha(block: string): string {
  return sha256(`${block}\n`);
}

function live(r: Record<string, string>, step: string, unit: string) {
  return {
    liveBlockSha: need(r, "block_sha", step, unit),
    showArgsOk: need(r, "show_args_ok", step, unit),
    showArgs: r.show_args ?? "",
  };
}

export interface ManagedBlockArgs {
  readonly transport: pulumi.Input<TransportSpec>;
  readonly unit: pulumi.Input<string>;
  readonly path: pulumi.Input<string>;
  readonly block: pulumi.Input<string>;
  readonly marker: pulumi.Input<string>;
  readonly initScript: pulumi.Input<string>;
  readonly showArgsMustContain: pulumi.Input<pulumi.Input<string>[]>;
  readonly destroyMode: pulumi.Input<DestroyMode>;
}

/** A marked block inside a file others also write, verified by the init script's dry run. */
export class ManagedBlock extends pulumi.dynamic.Resource {
  declare readonly changedAt: pulumi.Output<string>;
  declare readonly liveBlockSha: pulumi.Output<string>;
  declare readonly showArgs: pulumi.Output<string>;

  constructor(name: string, args: ManagedBlockArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      new ManagedBlockProvider(),
      name,
      { ...args, liveBlockSha: undefined, showArgsOk: undefined, showArgs: undefined, changedAt: undefined },
      opts,
      "magnum-capi-graft",
      "ManagedBlock",
    );
  }
}
