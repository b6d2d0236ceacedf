import { JujuTransport } from "./juju";
import { TransportSpec } from "../../core/transportSpec";
import { Transport } from "./transport";

export function openTransport(spec: TransportSpec): Transport {
  switch (spec.kind) {
    case "juju":
      return new JujuTransport(spec);
  }
}
