// Where things live on a charm-managed Ubuntu conductor (docs/design.md#conductor-unit), in one place.
export const MAGNUM = {
  service: "magnum-conductor",
  initScript: "/etc/init.d/magnum-conductor",
  conf: "/etc/magnum/magnum.conf",
  confDir: "/etc/magnum/magnum.conf.d",
  dropIn: "/etc/magnum/magnum.conf.d/00-capi-helm.conf",
  kubeconfig: "/etc/magnum/kubeconfig",
  etcDefault: "/etc/default/magnum-conductor",
  blockMarker: "magnum-capi-graft",
  helmPath: "/usr/local/bin/helm",
  driverPackage: "magnum-capi-helm",
  driverEntryPointGroup: "magnum.drivers",
  driverName: "k8s_capi_helm_v1",
  /** Seconds one MainPID must stay active before a restart counts as done. */
  settleSeconds: 5,
} as const;
