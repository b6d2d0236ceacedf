// The images the scoped credential may run through a Deployment: configuration and policy share them.

/** The chart's cluster-autoscaler image (`autoscaler.image.repository` in its values), tag to follow. */
export const DEFAULT_IMAGE_ALLOW_LIST: readonly string[] = [
  "registry.k8s.io/autoscaling/cluster-autoscaler:",
];

/** An image reference prefix: what may appear inside the policy's CEL string literals. */
export const IMAGE_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;
