import { shq } from "../core/shell";

// Shell text for the `openstack` CLI where Pulumi runs, always scoped the way the runbook scopes it:
// the operator's admin-openrc stays, its project selection is replaced by the capi-mgmt project id.

export function scoped(projectId: string, command: string): string {
  return `unset OS_PROJECT_NAME OS_PROJECT_ID OS_TENANT_NAME OS_TENANT_ID
export OS_PROJECT_ID=${shq(projectId)}
${command}`;
}

export function ruleListCommand(projectId: string, securityGroupId: string): string {
  return scoped(projectId, `openstack security group rule list ${shq(securityGroupId)} --ingress -f json`);
}

/** One JSON array of `rule show` objects, for the descriptions the list does not carry. */
export function ruleShowCommand(projectId: string, ruleIds: readonly string[]): string {
  return scoped(
    projectId,
    `sep=""; printf '['
for id in ${ruleIds.map(shq).join(" ")}; do printf '%s' "$sep"; openstack security group rule show "$id" -f json; sep=","; done
printf ']'`,
  );
}

export interface HealthPoll {
  readonly projectId: string;
  readonly cluster: string;
  readonly attempts: number;
  readonly intervalSeconds: number;
}

/** Polls until HEALTHY; fails with the last health_status_reason. */
export function healthPollCommand(p: HealthPoll): string {
  return scoped(
    p.projectId,
    `cluster=${shq(p.cluster)}
i=1; health=""; reason=""
while [ "$i" -le ${p.attempts} ]; do
  health=$(openstack coe cluster show "$cluster" -f value -c health_status 2>&1) || health="unknown ($health)"
  reason=$(openstack coe cluster show "$cluster" -f value -c health_status_reason 2>/dev/null || true)
  echo "[$i/${p.attempts}] $cluster health=$health"
  if [ "$health" = HEALTHY ]; then exit 0; fi
  [ "$i" -lt ${p.attempts} ] && sleep ${p.intervalSeconds}
  i=$((i + 1))
done
echo "health gate: expected $cluster health_status HEALTHY; saw $health after ${p.attempts} polls: $reason. Fix the cause and run pulumi up, or pulumi destroy to roll back." >&2
exit 1`,
  );
}

export interface Smoke {
  readonly projectId: string;
  readonly template: string;
  readonly keypair: string;
  readonly masterCount: number;
  readonly nodeCount: number;
  readonly timeoutMinutes: number;
}

export const SMOKE_CLUSTER = "capi-fix-check";

/** Creates the throw-away cluster, waits for CREATE_COMPLETE, deletes it and waits until it is gone. */
export function smokeTestCommand(s: Smoke): string {
  return scoped(
    s.projectId,
    `name=${SMOKE_CLUSTER}
deadline=$(( $(date +%s) + ${s.timeoutMinutes * 60} ))
status() { openstack coe cluster show "$name" -f value -c status 2>/dev/null || echo GONE; }
wait_gone() {
  while [ "$(status)" != GONE ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "smoke test: expected $name deleted; it is still $(status) at the timeout" >&2; exit 1; }
    echo "$name: $(status)"; sleep 10
  done
  echo "$name: gone"
}
if [ "$(status)" != GONE ]; then echo "$name exists from an earlier run: deleting it first"; openstack coe cluster delete "$name"; wait_gone; fi
openstack coe cluster create "$name" --cluster-template ${shq(s.template)} --keypair ${shq(s.keypair)} \\
  --master-count ${s.masterCount} --node-count ${s.nodeCount}
while :; do
  st=$(status); echo "$name: $st"
  case "$st" in
    CREATE_COMPLETE) break ;;
    *FAILED | GONE)
      reason=$(openstack coe cluster show "$name" -f value -c status_reason 2>/dev/null || true)
      echo "smoke test: expected $name CREATE_COMPLETE; saw $st: $reason" >&2
      [ "$st" = GONE ] || { openstack coe cluster delete "$name"; wait_gone; }
      exit 1 ;;
  esac
  [ "$(date +%s)" -lt "$deadline" ] || { echo "smoke test: expected $name CREATE_COMPLETE within ${s.timeoutMinutes} min; saw $st" >&2; openstack coe cluster delete "$name"; exit 1; }
  sleep 10
done
openstack coe cluster delete "$name"
wait_gone`,
  );
}
