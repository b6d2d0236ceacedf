// How a unit is reached, as configuration and state record it. Only the juju kind exists today; the
// node-ssh kinds (jumphost, direct) will add their specs here.

export interface JujuTransportSpec {
  readonly kind: "juju";
  readonly model: string;
}

export type TransportSpec = JujuTransportSpec;
