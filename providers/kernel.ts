import * as pulumi from "@pulumi/pulumi";
import { DESTROY_MODE, DestroyMode } from "../core/destroyMode";
import { mustMatch, PATTERNS } from "../core/shell";
import { TransportSpec } from "../core/transportSpec";
import { changedKeys, checkInputs } from "./diffing";
import { isGateError, WAY_BACK } from "./errors";
import {
  checkUnit,
  GatedInputs,
  GatedOutputs,
  gateFindings,
  gatesMeasured,
  gatesScript,
  gatesSeen,
  GateSpec,
  validateGates,
} from "./gates";
import { Connect, defaultConnect, runScript, Target } from "./remote";
import { dynamicResource, DynamicResourceClass } from "./resource";

/** The resource inputs every remote-script resource shares: where its scripts run. */
export interface TargetArgs {
  readonly transport: pulumi.Input<TransportSpec>;
  readonly unit: pulumi.Input<string>;
}

/**
 * The read-only GATEs a step runs in its own script, before it changes anything: one round trip for
 * the gates and the step they guard.
 */
export interface GatedArgs {
  readonly gates?: pulumi.Input<GateSpec[]>;
  /** Anything whose change must rerun the gates (the desired state they guard). */
  readonly guards?: pulumi.Input<string>;
}

const GATE_KEYS = ["gates", "guards"];

/** A resource whose delete puts the unit back, the way `destroyMode` says. */
export interface UndoableArgs extends TargetArgs {
  readonly destroyMode: pulumi.Input<DestroyMode>;
}

/** One round trip: a provider script and how it runs. */
export interface Script {
  /** Names the step in progress lines and errors. */
  readonly step: string;
  readonly body: string;
  readonly timeoutSeconds: number;
  /** The payload of this call only. */
  readonly stdin?: Buffer;
  /** Appended to any failure of this call: what else the failure holds up. */
  readonly note?: string;
}

/** What a verification after an apply expected and saw; the kernel names step and unit. */
export interface Mismatch {
  readonly expected: string;
  readonly seen: string;
}

type Key<I> = keyof I & string;

/**
 * What a remote-script resource declares: its own keys, its scripts and how it reads the unit. The
 * kernel does the rest: unit and destroyMode validation, the diff (no I/O), create / update / read /
 * delete, `changedAt` and the error wording.
 */
export interface RemoteScript<I extends Target, O extends Target> {
  /** Keys whose change replaces the resource; `unit` always does. */
  readonly replaceKeys: readonly Key<I>[];
  /** Keys whose change reruns the apply script. */
  readonly applyKeys: readonly Key<I>[];
  /**
   * Keys changed in place by recording them, with no call unless the unit drifted: destroy-time
   * settings, and values `drifted` already compares with the unit. `destroyMode`, when listed, is validated.
   */
  readonly recordKeys: readonly Key<I>[];
  readonly deleteBeforeReplace: boolean;
  /** Inputs that never reach state: a payload that travels only as stdin. */
  readonly unstored?: readonly Key<I>[];
  /** Whether the outputs carry `changedAt`, when the resource last really changed the unit ("" never). */
  readonly tracksChanges: boolean;
  /** The input a check failure is reported on. */
  readonly checkProperty: Key<I>;
  /** The resource's own inputs; unit and destroyMode are checked before. */
  validate(i: I): void;
  id(i: I): string;
  /** From state alone: the unit as last seen is not what `news` asks for. */
  drifted(olds: O, news: I): boolean;
  /** The apply round trip, or what is recorded when this resource runs nothing on apply. */
  apply(i: I): Script | { readonly recorded: Partial<O> };
  /** The measuring round trip of a refresh; none when there is nothing to measure. */
  measure(p: O): Script | undefined;
  /** The round trip that puts the unit back; none when delete has nothing to do. */
  remove(p: O): Script | undefined;
  /** The outputs a script reported (`key=value` lines) as this resource records them. */
  live(results: Record<string, string>, step: string, unit: string): Partial<O>;
  /** After an apply: what the unit must show, when it does not. */
  verify?(live: Partial<O>, i: I): Mismatch | undefined;
}

/**
 * A snapshotting step's restore, except where a rollback keeps what the graft added: a path that had
 * no pre-graft original (`hasOriginal` "0", from the prelude) needs no round trip. State written
 * before `hasOriginal` was recorded lacks it, so its delete still makes the call.
 */
export function restoreUnlessAdded(
  p: { readonly destroyMode: DestroyMode; readonly hasOriginal?: string },
  restore: Script,
): Script | undefined {
  return p.destroyMode === "rollback" && p.hasOriginal === "0" ? undefined : restore;
}

/** The dynamic provider every remote-script resource is: one spec, one transport (tests pass their own). */
export class RemoteScriptProvider<I extends Target, O extends Target> implements pulumi.dynamic
  .ResourceProvider<I, O> {
  constructor(
    private readonly spec: RemoteScript<I, O>,
    private readonly connect: Connect = defaultConnect,
  ) {}

  async check(_olds: I, news: I): Promise<pulumi.dynamic.CheckResult<I>> {
    return checkInputs(news, (i) => this.validate(i), this.spec.checkProperty);
  }

  async diff(_id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult> {
    const s = this.spec;
    const replaces = changedKeys(olds, news, ["unit", ...s.replaceKeys]);
    // How the unit is reached is recorded, never a replace: a replace would undo and redo the graft
    // (its delete restores the originals after the new resource wrote them). Recorded, so a later
    // destroy reaches the unit the new way.
    const changed = changedKeys(olds, news, [...s.applyKeys, ...GATE_KEYS, ...s.recordKeys, "transport"]);
    return {
      changes: replaces.length > 0 || changed.length > 0 || this.drifted(olds, news),
      replaces,
      ...(s.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
    };
  }

  async create(inputs: I): Promise<pulumi.dynamic.CreateResult<O>> {
    this.validate(inputs);
    return { id: this.spec.id(inputs), outs: await this.apply(inputs, "") };
  }

  async update(_id: string, olds: O, news: I): Promise<pulumi.dynamic.UpdateResult<O>> {
    this.validate(news);
    const rerun = changedKeys(olds, news, [...this.spec.applyKeys, ...GATE_KEYS]);
    if (!this.drifted(olds, news) && rerun.length === 0) {
      // Only what is recorded changed: nothing to do on the unit.
      return { outs: { ...olds, ...this.stored(news) } as O };
    }
    return { outs: await this.apply(news, (olds as { changedAt?: string }).changedAt ?? "") };
  }

  async read(id: string, props?: O): Promise<pulumi.dynamic.ReadResult<O>> {
    if (props === undefined) throw new Error(`refresh of ${id}: no recorded state to measure from`);
    const script = this.spec.measure(props);
    if (!script) return { id, props };
    const gates = (props as GatedOutputs).gates ?? [];
    // A gate that no longer holds is a finding, not a failure: refresh records it, the next up reruns it.
    let unitGuard = "";
    let unitFinding: string | undefined;
    try {
      unitGuard = await checkUnit(this.connect, props, gates);
    } catch (e) {
      if (!isGateError(e)) throw e;
      unitFinding = (e as Error).message;
    }
    const r = await this.run(
      { ...script, body: `${gatesMeasured(gates, unitGuard)}\n${script.body}` },
      props,
    );
    const live = this.spec.live(r, script.step, props.unit);
    return {
      id,
      props: { ...props, ...live, ...(gates.length > 0 ? gateFindings(gates, r, unitFinding) : {}) },
    };
  }

  /** The unit as last seen is not what `news` asks for, or a gate no longer held at the last refresh. */
  private drifted(olds: O, news: I): boolean {
    return this.spec.drifted(olds, news) || (olds as GatedOutputs).gatesHeld === "0";
  }

  async delete(_id: string, props: O): Promise<void> {
    const script = this.spec.remove(props);
    if (script) await this.run(script, props);
  }

  private validate(i: I): void {
    mustMatch("unit", i.unit, PATTERNS.unit, "a unit name like magnum/0");
    if (this.spec.recordKeys.includes("destroyMode" as Key<I>)) {
      const mode = (i as { destroyMode?: string }).destroyMode as string;
      mustMatch("destroyMode", mode, DESTROY_MODE.pattern, DESTROY_MODE.expected);
    }
    validateGates((i as GatedInputs).gates ?? []);
    this.spec.validate(i);
  }

  private async apply(i: I, changedBefore: string): Promise<O> {
    const script = this.spec.apply(i);
    if ("recorded" in script) return { ...this.stored(i), ...script.recorded } as unknown as O;
    const gates = (i as GatedInputs).gates ?? [];
    const unitGuard = await checkUnit(this.connect, i, gates);
    const r = await this.run({ ...script, body: `${gatesScript(gates, unitGuard)}\n${script.body}` }, i);
    const live = this.spec.live(r, script.step, i.unit);
    const bad = this.spec.verify?.(live, i);
    if (bad) {
      throw new Error(`${script.step} on ${i.unit}: expected ${bad.expected}; saw ${bad.seen}. ${WAY_BACK}`);
    }
    const changedAt = r.changed === "1" ? new Date().toISOString() : changedBefore;
    const outs = {
      ...this.stored(i),
      ...live,
      ...(this.spec.tracksChanges ? { changedAt } : {}),
      ...(gates.length > 0 ? { gatesSeen: gatesSeen(gates, r), gatesHeld: "1" } : {}),
    };
    return outs as unknown as O;
  }

  private async run(script: Script, target: I | O): Promise<Record<string, string>> {
    try {
      return await runScript(this.connect, target, script.step, script.body, {
        stdin: script.stdin,
        timeoutSeconds: script.timeoutSeconds,
      });
    } catch (e) {
      // Same Error, tag kept: only the message grows.
      if (script.note && e instanceof Error) e.message = `${e.message} ${script.note}`;
      throw e;
    }
  }

  /** The inputs as state keeps them: without a payload. */
  private stored(i: I): Record<string, unknown> {
    const kept: Record<string, unknown> = { ...(i as object) };
    for (const k of this.spec.unstored ?? []) delete kept[k];
    return kept;
  }
}

/** The resource class of a remote-script spec: `type` names it in URNs, `outputs` as dynamicResource. */
export function remoteResource<A extends object, I extends Target, O extends Target>(
  type: string,
  spec: RemoteScript<I, O>,
  outputs: readonly (keyof O & string)[],
): DynamicResourceClass<A> {
  return dynamicResource<A>(type, new RemoteScriptProvider(spec), outputs);
}
