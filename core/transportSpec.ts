// How a unit is reached, as configuration and state record it. The node-ssh kinds keep paths only:
// the private key is read in the provider process when it connects, never stored.

export interface JujuTransportSpec {
  readonly kind: "juju";
  readonly model: string;
}

/** Where node-ssh connects, and how it knows the host. */
export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyPath: string;
  /** OpenSSH known_hosts file; unused when hostKeyFingerprint is given. */
  readonly knownHostsPath: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it (jumphost only). */
  readonly hostKeyFingerprint?: string;
}

/** node-ssh to the jumphost, then `juju ssh` there. */
export interface JumphostTransportSpec extends SshEndpoint {
  readonly kind: "jumphost";
  readonly model: string;
}

/** node-ssh straight to one conductor's address; `host` is that unit's conductors[].address. */
export interface DirectTransportSpec extends SshEndpoint {
  readonly kind: "direct";
}

/** `direct` as configured: the host comes from each conductors entry. */
export type DirectTransportSettings = Omit<DirectTransportSpec, "host">;

/** The transport as the stack configures it. */
export type TransportSettings = JujuTransportSpec | JumphostTransportSpec | DirectTransportSettings;

/** The transport as one unit's resources record it. */
export type TransportSpec = JujuTransportSpec | JumphostTransportSpec | DirectTransportSpec;

/** The spec a unit's resources run with: `direct` reaches each unit at its own address. */
export function transportTo(settings: TransportSettings, address: string): TransportSpec {
  return settings.kind === "direct" ? { ...settings, host: address } : settings;
}
