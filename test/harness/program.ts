import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

// Runs the real program (build/index.js) under runtime.setMocks and records every registration as
// the engine would receive it: parent, dependencies, secret markings, retainOnDelete.

export interface Registration {
  readonly kind: "register" | "read";
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly parent: string;
  /** URNs this resource waits on (dependsOn and input dependencies). */
  readonly deps: string[];
  /** Inputs with secrets unwrapped, as a provider receives them. */
  readonly inputs: Record<string, unknown>;
  /** Names of inputs the engine receives marked secret. */
  readonly secretInputs: string[];
  readonly additionalSecretOutputs: string[];
  readonly retainOnDelete: boolean;
  /** The `deletedWith` option: a URN whose deletion makes this one's delete unnecessary. */
  readonly deletedWith: string;
  /** The `import` option: an existing resource to take over. */
  readonly importId: string;
  /** false for component resources and the stack. */
  readonly custom: boolean;
  readonly id?: string;
}

export interface Handlers {
  newResource(r: Registration): Promise<{ id: string; state: Record<string, unknown> }>;
  call(token: string, inputs: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface ProgramRun {
  readonly registrations: Registration[];
  readonly outputs: Record<string, unknown>;
  readonly warnings: string[];
}

const BUILD_ROOT = path.resolve(__dirname, "../..");

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getRetainondelete(): boolean;
  getDeletedwith?(): string;
  getImportid?(): string;
  getObject?(): { toJavaScript(): Record<string, unknown> } | undefined;
  getProperties?(): { toJavaScript(): Record<string, unknown> } | undefined;
}

export async function runProgram(
  config: Record<string, unknown>,
  handlers: Handlers,
  opts: { preview: boolean },
): Promise<ProgramRun> {
  const registrations: Registration[] = [];
  const requests = new Map<string, { req: RegisterRequest; kind: "register" | "read" }>();
  const failures: Error[] = [];
  const warnings: string[] = [];
  const mon: { current?: { newUrn(parent: string, type: string, name: string): string } } = {};

  const record = (
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    custom: boolean,
    id?: string,
  ): Registration => {
    const found = requests.get(`${type}::${name}`);
    if (!found || !mon.current) throw new Error(`no request recorded for ${type} ${name}`);
    const props = found.kind === "read" ? found.req.getProperties?.() : found.req.getObject?.();
    const raw = props?.toJavaScript() ?? {};
    const reg: Registration = {
      kind: found.kind,
      type,
      name,
      urn: mon.current.newUrn(found.req.getParent(), type, name),
      parent: found.req.getParent(),
      deps: found.kind === "register" ? found.req.getDependenciesList() : [],
      inputs,
      secretInputs: Object.keys(raw).filter((k) => isSecret(raw[k])),
      additionalSecretOutputs: found.kind === "register" ? found.req.getAdditionalsecretoutputsList() : [],
      retainOnDelete: found.kind === "register" ? found.req.getRetainondelete() : false,
      deletedWith: found.kind === "register" ? (found.req.getDeletedwith?.() ?? "") : "",
      custom,
      importId: found.kind === "register" ? (found.req.getImportid?.() ?? "") : "",
      id,
    };
    registrations.push(reg);
    return reg;
  };

  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        try {
          const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
          const reg = record(args.type, args.name, inputs, args.custom !== false, args.id);
          return await handlers.newResource(reg);
        } catch (e) {
          failures.push(e as Error);
          throw e;
        }
      },
      call: async (args) => {
        try {
          return await handlers.call(args.token, args.inputs as Record<string, unknown>);
        } catch (e) {
          failures.push(e as Error);
          throw e;
        }
      },
    },
    "magnum-capi-graft",
    "capi-mgmt",
    opts.preview,
  );
  const m = pulumi.runtime.getMonitor() as unknown as Record<
    string,
    (req: RegisterRequest, cb: unknown) => void
  > & {
    newUrn(parent: string, type: string, name: string): string;
  };
  mon.current = m;
  for (const [method, kind] of [
    ["registerResource", "register"],
    ["readResource", "read"],
  ] as const) {
    const original = m[method].bind(m);
    m[method] = (req: RegisterRequest, cb: unknown) => {
      requests.set(`${req.getType()}::${req.getName()}`, { req, kind });
      return original(req, cb);
    };
  }
  const configValues: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    configValues[`magnum-capi-graft:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  }
  pulumi.runtime.setAllConfig(configValues);

  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(BUILD_ROOT) && !key.includes(`${path.sep}test${path.sep}`)) delete require.cache[key];
  }
  const originalWarn = console.warn;
  console.warn = (...a: unknown[]) => warnings.push(a.join(" "));
  let outputs: Record<string, unknown> = {};
  try {
    const program = require(path.join(BUILD_ROOT, "index.js")) as () => Promise<Record<string, unknown>>;
    outputs = ((await pulumi.runtime.runInPulumiStack(program)) ?? {}) as Record<string, unknown>;
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
  } catch (e) {
    failures.push(e as Error);
  } finally {
    console.warn = originalWarn;
  }
  if (failures.length > 0) throw failures[0];
  return { registrations, outputs, warnings };
}

/** Secret inputs reach a provider unwrapped, as the SDK's dynamic-provider host hands them over. */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (o[pulumi.runtime.specialSigKey] !== undefined) return unwrapSecrets(o.value);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
}

function isSecret(v: unknown): boolean {
  return (
    v !== null &&
    typeof v === "object" &&
    (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] !== undefined
  );
}
