import * as grpc from "@grpc/grpc-js";
import * as provider from "@pulumi/pulumi/provider";

// Runs a stand-in provider plugin on the SDK's provider framework. These stand in for plugins the
// Go module proxy here refuses (pulumi-openstack 3.15.2, pulumi-command 1.2.1) or serves only at
// another version (pulumi-kubernetes 4.25.0 for 4.34.2); the engine, CLI, state, secrets, diffs,
// refresh and the dynamic-provider host that drive them are the real ones.

/** A provider that also receives its configuration (the program's `new X.Provider(...)` inputs). */
export interface StandIn extends provider.Provider {
  configure?(config: Record<string, string>): void;
}

export function serve(standIn: StandIn): void {
  // The SDK's server acknowledges Configure without handing the values to the provider object;
  // a real plugin reads them there (the kubeconfig, the openstack tenant), so catch them on the way.
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, impl) {
    const configure = impl.configure as grpc.handleUnaryCall<ConfigureRequest, unknown>;
    impl.configure = (
      call: grpc.ServerUnaryCall<ConfigureRequest, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      // `variables` holds every value as a plain string ("<package>:config:<key>"), secrets unsealed.
      const config: Record<string, string> = {};
      for (const [k, v] of call.request.getVariablesMap().entries()) config[k.split(":").pop() ?? k] = v;
      standIn.configure?.(config);
      configure(call, cb);
    };
    return addService.call(this, service, impl);
  };
  provider.main(standIn, process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}

interface ConfigureRequest {
  getVariablesMap(): { entries(): Iterable<[string, string]> };
}

/** The resource type of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function urnType(urn: string): string {
  return urn.split("::")[2].split("$").pop() ?? "";
}

/** The keys among `keys` whose value differs between the old state and the new inputs. */
export function changedKeys(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: string[],
): string[] {
  return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}
