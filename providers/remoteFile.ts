import * as pulumi from "@pulumi/pulumi";
import { changedKeys, checkInputs, containsUnknown, sha256 } from "./diffing";
import { Connect, defaultConnect, need, runScript, Target } from "./remote";
import { mustMatch, PATTERNS, shq } from "./transport/shell";
import { TransportSpec } from "./transport/transport";

export type DestroyMode = "rollback" | "remove";

export interface RemoteFileInputs extends Target {
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

export interface RemoteFileOutputs extends Omit<RemoteFileInputs, "content"> {
  /** When this resource last really changed the unit ("" never): what a restart follows. */
  readonly changedAt: string;
  /** Live sha256 of the file, "absent" when it does not exist. */
  readonly sha256: string;
  readonly liveMode: string;
  readonly liveOwner: string;
  /** The owner the file must have: `owner`, or the service's user as last seen. */
  readonly expectedOwner: string;
}

const DESIRED: readonly (keyof RemoteFileInputs & string)[] = [
  "mode",
  "owner",
  "ownerFromService",
  "asciiOnly",
  "restartOnChange",
];

function validate(i: RemoteFileInputs): void {
  mustMatch("unit", i.unit, PATTERNS.unit, "a unit name like magnum/0");
  mustMatch("destroyMode", i.destroyMode, /^(rollback|remove)$/, "rollback or remove");
  mustMatch("path", i.path, PATTERNS.absPath, "an absolute path of [A-Za-z0-9._/-]");
  mustMatch("mode", i.mode, PATTERNS.fileMode, "an octal mode like 0644");
  mustMatch("owner", i.owner, PATTERNS.userName, "a user name");
  if (i.ownerFromService)
    mustMatch("ownerFromService", i.ownerFromService, PATTERNS.serviceName, "a unit name");
}

function ownerLines(i: RemoteFileInputs): string {
  return `owner=${shq(i.owner)}
service=${shq(i.ownerFromService)}
if [ -n "$service" ]; then
  owner=$(systemctl show "$service" -p User --value 2>/dev/null || true)
  [ -n "$owner" ] || gate "a User= on $service" "none reported by systemctl show"
fi
getent passwd "$owner" >/dev/null || gate "user $owner on the unit" "no such user"
emit expected_owner "$owner"`;
}

function measureLines(): string {
  return `if [ -f "$path" ]; then
  emit sha256 "$(sha256sum < "$path" | cut -c1-64)"
  emit mode "0$(stat -c %a -- "$path")"
  emit owner "$(stat -c %U -- "$path")"
else
  emit sha256 absent; emit mode none; emit owner none
fi`;
}

/** Writes the file through a private temp file beside it, after checking the payload arrived whole. */
function applyScript(i: RemoteFileInputs): string {
  return `path=${shq(i.path)}
dir=$(dirname -- "$path")
want=${shq(sha256(i.content))}
mode=${shq(i.mode)}
${ownerLines(i)}
made_dir=0
if [ ! -d "$dir" ]; then snapshot "$dir"; install -d -m 0755 -o root -g root -- "$dir"; made_dir=1; fi
tmp=$(mktemp -- "$dir/.graft.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
# The payload is staged beside its target (never in /tmp), so a directory made for it goes again
# when a gate refuses the payload: nothing is left changed.
refuse() { rm -f -- "$tmp"; if [ $made_dir = 1 ]; then rmdir -- "$dir"; fi; gate "$1" "$2; the file was left as it was"; }
cat > "$tmp"
got=$(sha256sum < "$tmp" | cut -c1-64)
[ "$got" = "$want" ] || refuse "a payload of sha256 $want" "sha256 $got over $(stat -c %s -- "$tmp") bytes received"
if [ ${i.asciiOnly ? 1 : 0} = 1 ]; then
  n=$(tr -d '\\000-\\177' < "$tmp" | wc -c)
  [ "$n" = 0 ] || refuse "ASCII-only content" "$n non-ASCII bytes"
fi
if [ -f "$path" ] && [ "$(sha256sum < "$path" | cut -c1-64)" = "$want" ] && [ "$(stat -c '%a %U' -- "$path")" = "\${mode#0} $owner" ]; then
  emit changed 0
else
  snapshot "$path"
  if [ ${i.restartOnChange ? 1 : 0} = 1 ]; then mark_restart; fi
  chown -- "$owner:" "$tmp"; chmod -- "$mode" "$tmp"
  mv -T -- "$tmp" "$path"
  emit changed 1
fi
${measureLines()}`;
}

function measureScript(i: RemoteFileOutputs): string {
  return `path=${shq(i.path)}
${ownerLines(i as unknown as RemoteFileInputs)}
${measureLines()}`;
}

export class RemoteFileProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly connect: Connect = defaultConnect) {}

  async check(_olds: RemoteFileInputs, news: RemoteFileInputs): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(news, validate, "path");
  }

  async diff(
    _id: string,
    olds: RemoteFileOutputs,
    news: RemoteFileInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedKeys(olds, news, ["unit", "path", "transport"]);
    const changed = changedKeys(olds, news, [...DESIRED, "destroyMode"]);
    const drift =
      containsUnknown(news.content) ||
      sha256(news.content) !== olds.sha256 ||
      olds.liveMode !== news.mode ||
      olds.liveOwner !== olds.expectedOwner;
    return {
      changes: replaces.length > 0 || changed.length > 0 || drift,
      replaces,
      deleteBeforeReplace: true,
    };
  }

  async create(inputs: RemoteFileInputs): Promise<pulumi.dynamic.CreateResult> {
    validate(inputs);
    return { id: `${inputs.unit}:${inputs.path}`, outs: await this.apply(inputs) };
  }

  async update(
    _id: string,
    olds: RemoteFileOutputs,
    news: RemoteFileInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    validate(news);
    const live =
      olds.sha256 === sha256(news.content) &&
      olds.liveMode === news.mode &&
      olds.liveOwner === olds.expectedOwner;
    if (live && changedKeys(olds, news, DESIRED).length === 0) {
      // Only how destroy behaves changed: nothing to do on the unit.
      return { outs: { ...olds, destroyMode: news.destroyMode } };
    }
    return { outs: await this.apply(news, olds.changedAt) };
  }

  async read(id: string, props: RemoteFileOutputs): Promise<pulumi.dynamic.ReadResult> {
    const r = await runScript(this.connect, props, `measure ${props.path}`, measureScript(props), {
      timeoutSeconds: 60,
    });
    return { id, props: { ...props, ...live(r, `measure ${props.path}`, props.unit) } };
  }

  async delete(_id: string, props: RemoteFileOutputs): Promise<void> {
    const body = `restore ${shq(props.path)} ${shq(props.destroyMode)}
restore "$(dirname -- ${shq(props.path)})" ${shq(props.destroyMode)}`;
    await runScript(this.connect, props, `restore ${props.path} (${props.destroyMode})`, body, {
      timeoutSeconds: 60,
    });
  }

  private async apply(i: RemoteFileInputs, changedBefore = ""): Promise<RemoteFileOutputs> {
    const step = `write ${i.path}`;
    const r = await runScript(this.connect, i, step, applyScript(i), {
      stdin: Buffer.from(i.content, "utf8"),
      timeoutSeconds: 120,
    });
    const m = live(r, step, i.unit);
    if (m.sha256 !== sha256(i.content)) {
      throw new Error(
        `${step} on ${i.unit}: expected sha256 ${sha256(i.content)} on the unit; saw ${m.sha256}`,
      );
    }
    const { content: _content, ...rest } = i;
    return { ...rest, ...m, changedAt: r.changed === "1" ? new Date().toISOString() : changedBefore };
  }
}

function live(r: Record<string, string>, step: string, unit: string) {
  return {
    sha256: need(r, "sha256", step, unit),
    liveMode: need(r, "mode", step, unit),
    liveOwner: need(r, "owner", step, unit),
    expectedOwner: need(r, "expected_owner", step, unit),
  };
}

export interface RemoteFileArgs {
  readonly transport: pulumi.Input<TransportSpec>;
  readonly unit: pulumi.Input<string>;
  readonly path: pulumi.Input<string>;
  readonly content: pulumi.Input<string>;
  readonly mode: pulumi.Input<string>;
  readonly owner?: pulumi.Input<string>;
  readonly ownerFromService?: pulumi.Input<string>;
  readonly asciiOnly?: pulumi.Input<boolean>;
  readonly restartOnChange?: pulumi.Input<boolean>;
  readonly destroyMode: pulumi.Input<DestroyMode>;
}

/** A whole file with exact content, owner and mode; its pre-graft state is what destroy puts back. */
export class RemoteFile extends pulumi.dynamic.Resource {
  declare readonly changedAt: pulumi.Output<string>;
  declare readonly sha256: pulumi.Output<string>;
  declare readonly expectedOwner: pulumi.Output<string>;

  constructor(name: string, args: RemoteFileArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      new RemoteFileProvider(),
      name,
      {
        owner: "root",
        ownerFromService: "",
        asciiOnly: false,
        restartOnChange: true,
        ...args,
        sha256: undefined,
        liveMode: undefined,
        changedAt: undefined,
        liveOwner: undefined,
        expectedOwner: undefined,
      },
      opts,
      "magnum-capi-graft",
      "RemoteFile",
    );
  }
}
