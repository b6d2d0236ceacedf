import { JujuTransport } from "./juju";
import { DirectTransport, JumphostTransport } from "./ssh";
import { TransportSpec } from "../../core/transportSpec";
import { Transport } from "./transport";

export function openTransport(spec: TransportSpec): Transport {
  switch (spec.kind) {
    case "juju":
      return new JujuTransport(spec);
    case "jumphost":
      return new JumphostTransport(spec);
    case "direct":
      return new DirectTransport(spec);
  }
}
