import { shq } from "../../core/shell";

/** One gate's script in a subshell of its own, with the `emit`, `gate` and `say` every gate uses. */
export function gateSubshell(step: string, kind: string, body: string): string {
  return `(
  step=${shq(step)}
  emit() { if [ "$1" = seen ]; then printf 'gate.%s=%s\\n' ${shq(kind)} "$2"; else printf '%s=%s\\n' "$1" "$2"; fi; }
  gate() { emit fail.step "$step"; emit fail.expected "$1"; emit fail.seen "$2"; exit 3; }
  say "$step"
${body}
)`;
}
