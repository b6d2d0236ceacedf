import { Registration, runProgram } from "./program";

// A small stand-in for the Pulumi engine: it runs the real program under mocks and drives each
// dynamic provider exactly as the SDK's provider host does (deserialized from the `__provider` text
// the SDK serialized), with state kept between runs: check/diff/create/update on up, only
// check/diff on preview, read on refresh, and on destroy each delete after those of the resources that
// depend on it, the independent ones side by side, as the engine schedules them.

// "discard": dropped from state without a delete, as the engine does for reads and retainOnDelete.
export type OpKind = "create" | "update" | "replace" | "same" | "read" | "delete" | "discard";
export interface Op {
  readonly name: string;
  readonly type: string;
  readonly op: OpKind;
}

/** What an up changed or would change: `name:op`, without the resources it left as they were. */
export const mutations = (ops: Op[]): string[] =>
  ops.filter((o) => o.op !== "same" && o.op !== "read").map((o) => `${o.name}:${o.op}`);

export interface StateEntry {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly kind: "register" | "read";
  readonly id: string;
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  readonly retainOnDelete: boolean;
  readonly deletedWith: string;
  /** Inputs the engine received marked secret, and the outputs it is told to keep secret. */
  readonly secretInputs: string[];
  readonly additionalSecretOutputs: string[];
  /** URNs it depends on, as the last registration gave them: what orders the deletes. */
  readonly deps: readonly string[];
}

/** How native resources (their provider plugins cannot run here) are emulated. */
export interface Natives {
  newResource(
    r: Registration,
    old: StateEntry | undefined,
    preview: boolean,
  ): Promise<{ id: string; state: Record<string, unknown>; op: OpKind; replaced?: StateEntry }>;
  call(token: string, inputs: Record<string, unknown>): Promise<Record<string, unknown>>;
  delete(e: StateEntry): Promise<void>;
}

interface DynamicProvider {
  check?(
    olds: unknown,
    news: unknown,
  ): Promise<{ inputs?: Record<string, unknown>; failures?: { property: string; reason: string }[] }>;
  diff?(id: string, olds: unknown, news: unknown): Promise<{ changes?: boolean; replaces?: string[] }>;
  create(inputs: unknown): Promise<{ id: string; outs?: Record<string, unknown> }>;
  read?(id: string, props: unknown): Promise<{ id?: string; props?: Record<string, unknown> }>;
  update?(id: string, olds: unknown, news: unknown): Promise<{ outs?: Record<string, unknown> }>;
  delete?(id: string, props: unknown): Promise<void>;
}

const PROVIDER_KEY = "__provider";

const isProvider = (e: StateEntry) => e.type.startsWith("pulumi:providers:");

/** What the SDK's dynamic-provider host does with the serialized text. */
export function loadProvider(text: unknown): DynamicProvider {
  if (typeof text !== "string" || text === "")
    throw new Error("dynamic resource without a serialized provider");
  const requireFromString = require("require-from-string") as (code: string) => {
    handler(): DynamicProvider;
  };
  return requireFromString(text).handler();
}

export class MiniEngine {
  readonly state = new Map<string, StateEntry>();
  /** Old objects of replacements a failed up did not get to delete: the next up deletes them first. */
  readonly pendingDeletes: StateEntry[] = [];
  /** Serialized providers by resource kind (`RemoteFile`, ...) that stand in for the program's own. */
  private providerTexts: Readonly<Record<string, string>> = {};
  private providerNames: ReadonlySet<string> = new Set();

  constructor(private readonly natives: Natives) {}

  async up(
    config: Record<string, unknown>,
    opts: { preview?: boolean } = {},
  ): Promise<{ ops: Op[]; outputs: Record<string, unknown> }> {
    const preview = opts.preview ?? false;
    const ops: Op[] = [];
    const seen = new Set<string>();
    // Replaced natives are created first and their old objects deleted at the end, as the engine's
    // default create-before-delete replacement does.
    const replaced: StateEntry[] = [];
    if (!preview) {
      for (const old of this.pendingDeletes.splice(0)) {
        if (!old.retainOnDelete) await this.natives.delete(old);
        ops.push({ name: old.name, type: old.type, op: "delete" });
      }
    }
    const run = await runProgram(
      config,
      {
        newResource: async (r) => {
          if (!r.custom) return { id: "", state: r.inputs };
          seen.add(r.urn);
          const old = this.state.get(r.urn);
          const res = r.type.startsWith("pulumi-nodejs:dynamic")
            ? await this.dynamic(r, old, preview)
            : await this.natives.newResource(r, old, preview);
          ops.push({ name: r.name, type: r.type, op: res.op });
          if ("replaced" in res && res.replaced) replaced.push(res.replaced);
          if (!preview) {
            this.state.set(r.urn, {
              urn: r.urn,
              type: r.type,
              name: r.name,
              kind: r.kind,
              id: res.id,
              // What check returned, as the engine records it (a dynamic provider's olds next time).
              inputs: ("inputs" in res && res.inputs) || r.inputs,
              outputs: res.state,
              retainOnDelete: r.retainOnDelete,
              deletedWith: r.deletedWith,
              secretInputs: r.secretInputs,
              additionalSecretOutputs: r.additionalSecretOutputs,
              deps: r.deps,
            });
          }
          return { id: res.id, state: res.state };
        },
        call: (token, inputs) => this.natives.call(token, inputs),
      },
      { preview },
    ).catch((e: unknown) => {
      if (!preview) this.pendingDeletes.push(...replaced);
      throw e;
    });
    if (!preview) {
      for (const old of replaced) {
        if (!old.retainOnDelete) await this.natives.delete(old);
        ops.push({ name: old.name, type: old.type, op: "delete" });
      }
      const gone = [...this.state.values()].filter((e) => !seen.has(e.urn));
      ops.push(...(await this.deleteAll(gone)));
    }
    return { ops, outputs: run.outputs };
  }

  /**
   * From now on, runs these serialized providers (by resource type) instead of those the program
   * serializes, for the resources the release that wrote them had (by name): as if the program were
   * still that release. Resources the release did not have keep the program's own. `{}` goes back.
   */
  useProviders(texts: Readonly<Record<string, string>>, names: readonly string[] = []): void {
    this.providerTexts = texts;
    this.providerNames = new Set(names);
  }

  /** Re-measures every dynamic resource; returns the names whose recorded state changed. */
  async refresh(): Promise<string[]> {
    const drifted: string[] = [];
    for (const e of this.state.values()) {
      if (!e.type.startsWith("pulumi-nodejs:dynamic")) continue;
      const provider = loadProvider(e.outputs[PROVIDER_KEY]);
      if (!provider.read) continue;
      const r = await provider.read(e.id, e.outputs);
      const props = { ...(r.props ?? {}), [PROVIDER_KEY]: e.outputs[PROVIDER_KEY] };
      if (JSON.stringify(props) !== JSON.stringify(e.outputs)) drifted.push(e.name);
      this.state.set(e.urn, { ...e, outputs: props });
    }
    return drifted;
  }

  async destroy(): Promise<Op[]> {
    return this.deleteAll([...this.state.values()]);
  }

  /**
   * Deletes each entry once every entry that depends on it is gone; independent ones run at the same
   * time. After a failure nothing new starts (what runs finishes) and the first error is thrown.
   */
  private async deleteAll(entries: StateEntry[]): Promise<Op[]> {
    const ops: Op[] = [];
    const deleting = new Set(entries.map((e) => e.urn));
    const done = new Map<string, Promise<void>>();
    let failure: unknown;
    const deleteOne = async (e: StateEntry): Promise<void> => {
      // A provider goes after every resource (the engine deletes it after those it serves).
      const dependents = entries.filter(
        (d) => d.urn !== e.urn && (d.deps.includes(e.urn) || (isProvider(e) && !isProvider(d))),
      );
      await Promise.all(dependents.map((d) => settle(d)));
      if (failure !== undefined || dependents.some((d) => this.state.has(d.urn))) return;
      // deletedWith: the engine skips the delete when that resource is deleted (or retained) too.
      const deletes = e.kind === "register" && !e.retainOnDelete && !deleting.has(e.deletedWith);
      try {
        if (deletes && e.type.startsWith("pulumi-nodejs:dynamic")) {
          // delete runs the provider code saved in state, not the current code
          await loadProvider(e.outputs[PROVIDER_KEY]).delete?.(e.id, e.outputs);
        } else if (deletes) {
          await this.natives.delete(e);
        }
      } catch (err) {
        failure ??= err;
        return;
      }
      this.state.delete(e.urn);
      ops.push({ name: e.name, type: e.type, op: deletes ? "delete" : "discard" });
    };
    const settle = (e: StateEntry): Promise<void> => {
      let p = done.get(e.urn);
      if (!p) {
        p = deleteOne(e);
        done.set(e.urn, p);
      }
      return p;
    };
    await Promise.all(entries.map(settle));
    if (failure !== undefined) throw failure;
    return ops;
  }

  private async dynamic(r: Registration, old: StateEntry | undefined, preview: boolean) {
    const stand = this.providerNames.has(r.name)
      ? this.providerTexts[r.type.split(":").pop() ?? ""]
      : undefined;
    const news = stand === undefined ? r.inputs : { ...r.inputs, [PROVIDER_KEY]: stand };
    const provider = loadProvider(news[PROVIDER_KEY]);
    const checked = provider.check ? await provider.check(old?.inputs ?? {}, news) : { inputs: news };
    if (checked.failures && checked.failures.length > 0) {
      throw new Error(`${r.name}: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    }
    const inputs = { ...(checked.inputs ?? news), [PROVIDER_KEY]: news[PROVIDER_KEY] };
    const withProvider = (outs: Record<string, unknown> | undefined) => ({
      ...(outs ?? {}),
      [PROVIDER_KEY]: news[PROVIDER_KEY],
    });
    if (!old) {
      if (preview) return { id: "", state: inputs, inputs, op: "create" as const };
      const c = await provider.create(inputs);
      return { id: c.id, state: withProvider(c.outs), inputs, op: "create" as const };
    }
    const d = provider.diff ? await provider.diff(old.id, old.outputs, inputs) : { changes: true };
    if (!d.changes) return { id: old.id, state: old.outputs, inputs, op: "same" as const };
    const replace = (d.replaces ?? []).length > 0;
    if (preview)
      return {
        id: old.id,
        state: old.outputs,
        inputs,
        op: replace ? ("replace" as const) : ("update" as const),
      };
    if (replace) {
      await loadProvider(old.outputs[PROVIDER_KEY]).delete?.(old.id, old.outputs);
      const c = await provider.create(inputs);
      return { id: c.id, state: withProvider(c.outs), inputs, op: "replace" as const };
    }
    if (!provider.update)
      throw new Error(`${r.name}: an in-place change without update would lose the outputs`);
    const u = await provider.update(old.id, old.outputs, inputs);
    return { id: old.id, state: withProvider(u.outs), inputs, op: "update" as const };
  }
}
