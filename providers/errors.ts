// The one error vocabulary of the providers and transports. Plain Errors tagged by name: subclasses
// of Error do not survive the closure serialization that carries a dynamic provider into state.

/** What every failure that may have left the unit half-changed ends with. */
export const WAY_BACK =
  "Fix the cause and run `pulumi up` again to resume, or `pulumi destroy` to roll back.";

/** A GATE that did not hold: names the step, the unit, what was expected and what was seen. */
export function gateError(message: string): Error {
  return Object.assign(new Error(message), { name: "GateError" });
}

export function isGateError(e: unknown): boolean {
  return e instanceof Error && e.name === "GateError";
}

/** The unit could not be reached, or the connection dropped: the command may or may not have run. */
export function connectionError(message: string): Error {
  return Object.assign(new Error(message), { name: "ConnectionError" });
}

/** Our own deadline passed; the local client was killed. */
export function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: "TimeoutError" });
}
