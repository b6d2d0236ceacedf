import * as pulumi from "@pulumi/pulumi";

/** The package of every resource type the graft registers: URNs carry it, so it never changes. */
const PACKAGE = "magnum-capi-graft";

/** The constructor of a dynamic resource whose program-side arguments are `A`. */
export type DynamicResourceClass<A> = new (
  name: string,
  args: A,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.dynamic.Resource;

/**
 * The class of the resource `type` served by `provider`. One provider object serves every instance:
 * the SDK serializes a provider once per object, about 0.5 s each. `outputs` are the keys the
 * provider adds to the inputs; the SDK makes an Output property only for a key it is given, so each
 * goes in as a placeholder. A subclass declares those properties with their types.
 */
export function dynamicResource<A extends object>(
  type: string,
  provider: pulumi.dynamic.ResourceProvider,
  outputs: readonly string[],
): DynamicResourceClass<A> {
  const placeholders = Object.fromEntries(outputs.map((k) => [k, undefined]));
  return class extends pulumi.dynamic.Resource {
    constructor(name: string, args: A, opts?: pulumi.CustomResourceOptions) {
      super(provider, name, { ...args, ...placeholders }, opts, PACKAGE, type);
    }
  };
}
