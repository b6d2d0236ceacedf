import { JujuTransport } from "./juju";
import { Transport, TransportSpec } from "./transport";

export function openTransport(spec: TransportSpec): Transport {
  switch (spec.kind) {
    case "juju":
      return new JujuTransport(spec);
  }
}
