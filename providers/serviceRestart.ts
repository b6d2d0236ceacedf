import * as pulumi from "@pulumi/pulumi";
import { changedKeys, checkInputs } from "./diffing";
import { Connect, defaultConnect, need, runScript, Target } from "./remote";
import { DestroyMode } from "./remoteFile";
import { mustMatch, PATTERNS, shq } from "./transport/shell";
import { TransportSpec } from "./transport/transport";

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

function validate(i: ServiceRestartInputs): void {
  mustMatch("unit", i.unit, PATTERNS.unit, "a unit name like magnum/0");
  mustMatch("destroyMode", i.destroyMode, /^(rollback|remove)$/, "rollback or remove");
  mustMatch("service", i.service, PATTERNS.serviceName, "a service name");
  mustMatch("configDir", i.configDir, PATTERNS.absPath, "an absolute path");
  mustMatch("driver", i.driver, /^[A-Za-z0-9_.-]+$/, "a driver name");
  if (!Number.isInteger(i.settleSeconds) || i.settleSeconds < 1)
    throw new Error("settleSeconds: expected >= 1");
}

const START_TIMEOUT_SECONDS = 120;

function common(i: ServiceRestartInputs): string {
  return `svc=${shq(i.service)}; cdir=${shq(i.configDir)}; drv=${shq(i.driver)}; settle=${i.settleSeconds}
pending=$STATE_DIR/restart-pending
live_args() { ps -ww -C "$svc" -o args= 2>/dev/null | head -n 1 || true; }
has_config_dir() { case "$(live_args)" in *"--config-dir $cdir"* | *"--config-dir=$cdir"*) return 0 ;; esac; return 1; }
drivers() { magnum-driver-manage list-drivers 2>/dev/null | awk -F'|' 'NF > 2 { n = $2; gsub(/^[ \\t]+|[ \\t]+$/, "", n); if (n != "" && n != "Name") print n }' | sort | tr '\\n' ',' | sed 's/,$//' || true; }
# systemctl restart returns before a Type=simple daemon has started: wait for one MainPID to stay active.
wait_active() {
  local start=$SECONDS stable=0 last="" st pid
  while :; do
    st=$(systemctl is-active "$svc" 2>/dev/null || true)
    pid=$(systemctl show "$svc" -p MainPID --value 2>/dev/null || true)
    if [ "$st" = active ] && [ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
    last=$pid
    [ $stable -ge "$settle" ] && break
    if [ "$st" = failed ] || { [ "$st" = inactive ] && [ $((SECONDS - start)) -gt 5 ]; }; then
      gate "$svc active after the restart" "$st; see /var/log/magnum/ and systemctl status $svc"
    fi
    [ $((SECONDS - start)) -lt ${START_TIMEOUT_SECONDS} ] || gate "$svc active for \${settle}s after the restart" "\${st:-unknown} after ${START_TIMEOUT_SECONDS}s"
    sleep 1
  done
  emit pid "$pid"
}
measure() {
  local ok=1 d; d=$(drivers)
  systemctl is-active --quiet "$svc" || ok=0
  if has_config_dir; then emit config_dir 1; else emit config_dir 0; ok=0; fi
  case ",$d," in *",$drv,"*) ;; *) ok=0 ;; esac
  [ ! -e "$pending" ] || ok=0
  emit drivers "$d"; emit healthy $ok
  emit pid "$(systemctl show "$svc" -p MainPID --value 2>/dev/null || true)"
}`;
}

function applyScript(i: ServiceRestartInputs): string {
  return `${common(i)}
if [ -e "$pending" ] || ! systemctl is-active --quiet "$svc" || ! has_config_dir; then
  say "restarting $svc"
  systemctl restart "$svc"
  emit restarted 1
else
  emit restarted 0
fi
wait_active
has_config_dir || gate "--config-dir $cdir in the live command line" "$(live_args)"
d=$(drivers)
case ",$d," in *",$drv,"*) ;; *) gate "magnum-driver-manage list-drivers listing $drv" "[\${d}]" ;; esac
rm -f -- "$pending"
measure`;
}

function rollbackScript(p: ServiceRestartOutputs): string {
  return `${common(p)}
if [ -e "$pending" ] || ! systemctl is-active --quiet "$svc"; then
  say "restarting $svc after the "${shq(p.destroyMode)}
  systemctl restart "$svc"
fi
wait_active
${
  p.destroyMode === "rollback"
    ? `d=$(drivers); case ",$d," in *",$drv,"*) ;; *) gate "list-drivers listing $drv after the rollback" "[\${d}]" ;; esac`
    : ""
}
rm -f -- "$pending"`;
}

export class ServiceRestartProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly connect: Connect = defaultConnect) {}

  async check(_olds: ServiceRestartInputs, news: ServiceRestartInputs): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(news, validate, "service");
  }

  async diff(
    _id: string,
    olds: ServiceRestartOutputs,
    news: ServiceRestartInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedKeys(olds, news, ["unit", "service", "when", "transport"]);
    const changed = changedKeys(olds, news, [
      "triggers",
      "configDir",
      "driver",
      "settleSeconds",
      "destroyMode",
    ]);
    const drift = news.when === "apply" && olds.healthy !== "1";
    return { changes: replaces.length > 0 || changed.length > 0 || drift, replaces };
  }

  async create(inputs: ServiceRestartInputs): Promise<pulumi.dynamic.CreateResult> {
    validate(inputs);
    return { id: `${inputs.unit}:${inputs.service}:${inputs.when}`, outs: await this.apply(inputs) };
  }

  async update(
    _id: string,
    olds: ServiceRestartOutputs,
    news: ServiceRestartInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    validate(news);
    const settingsOnly =
      changedKeys(olds, news, ["triggers", "configDir", "driver", "settleSeconds"]).length === 0;
    if (olds.healthy === "1" && settingsOnly) return { outs: { ...olds, destroyMode: news.destroyMode } };
    return { outs: await this.apply(news) };
  }

  async read(id: string, props: ServiceRestartOutputs): Promise<pulumi.dynamic.ReadResult> {
    if (props.when === "destroy") return { id, props };
    const step = `measure ${props.service}`;
    const r = await runScript(this.connect, props, step, `${common(props)}\nmeasure`, {
      timeoutSeconds: 120,
    });
    return { id, props: { ...props, ...live(r, step, props.unit) } };
  }

  async delete(_id: string, props: ServiceRestartOutputs): Promise<void> {
    if (props.when !== "destroy") return;
    await runScript(
      this.connect,
      props,
      `restart ${props.service} after ${props.destroyMode}`,
      rollbackScript(props),
      {
        timeoutSeconds: START_TIMEOUT_SECONDS + 60,
      },
    );
  }

  private async apply(i: ServiceRestartInputs): Promise<ServiceRestartOutputs> {
    if (i.when === "destroy") return { ...i, healthy: "1", pid: "", drivers: "", configDirLive: "" };
    const step = `restart ${i.service}`;
    const r = await runScript(this.connect, i, step, applyScript(i), {
      timeoutSeconds: START_TIMEOUT_SECONDS + 60,
    });
    return { ...i, ...live(r, step, i.unit) };
  }
}

function live(r: Record<string, string>, step: string, unit: string) {
  return {
    healthy: need(r, "healthy", step, unit),
    pid: r.pid ?? "",
    drivers: need(r, "drivers", step, unit),
    configDirLive: need(r, "config_dir", step, unit),
  };
}

export interface ServiceRestartArgs {
  readonly transport: pulumi.Input<TransportSpec>;
  readonly unit: pulumi.Input<string>;
  readonly service: pulumi.Input<string>;
  readonly when: RestartWhen;
  readonly triggers: pulumi.Input<pulumi.Input<string>[]>;
  readonly configDir: pulumi.Input<string>;
  readonly driver: pulumi.Input<string>;
  readonly settleSeconds: pulumi.Input<number>;
  readonly destroyMode: pulumi.Input<DestroyMode>;
}

export class ServiceRestart extends pulumi.dynamic.Resource {
  declare readonly drivers: pulumi.Output<string>;
  declare readonly configDirLive: pulumi.Output<string>;
  declare readonly pid: pulumi.Output<string>;

  constructor(name: string, args: ServiceRestartArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      new ServiceRestartProvider(),
      name,
      { ...args, healthy: undefined, pid: undefined, drivers: undefined, configDirLive: undefined },
      opts,
      "magnum-capi-graft",
      "ServiceRestart",
    );
  }
}
