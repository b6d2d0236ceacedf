import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { SmokeTest } from "../config";
import { healthPollCommand, smokeTestCommand } from "../openstack/cli";

export interface AcceptanceArgs {
  readonly mgmtProjectId: string;
  readonly healthCheckCluster: string | undefined;
  readonly healthPollAttempts: number;
  readonly healthPollIntervalSeconds: number;
  readonly smokeTest: SmokeTest | undefined;
  /** Reruns the checks whenever a conductor was restarted into a new graft. */
  readonly triggers: pulumi.Input<string>[];
  readonly after: pulumi.Resource[];
}

/** The runbook's health gate and smoke test, run where Pulumi runs with the openstack CLI. */
export class Acceptance extends pulumi.ComponentResource {
  /** "HEALTHY", or why the check is deferred. */
  readonly health: pulumi.Output<string>;

  constructor(name: string, args: AcceptanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:index:Acceptance", name, {}, opts);
    if (args.healthCheckCluster) {
      const poll = new command.local.Command(
        `${name}-health`,
        {
          create: healthPollCommand({
            projectId: args.mgmtProjectId,
            cluster: args.healthCheckCluster,
            attempts: args.healthPollAttempts,
            intervalSeconds: args.healthPollIntervalSeconds,
          }),
          interpreter: ["/bin/bash", "-c"],
          triggers: args.triggers,
        },
        { parent: this, dependsOn: args.after },
      );
      this.health = poll.stdout.apply(() => "HEALTHY");
    } else {
      this.health = pulumi.output("deferred: fresh deploy, no cluster to poll (phase-08 step 8.2 checks it)");
    }
    if (args.smokeTest) {
      new command.local.Command(
        `${name}-smoke-test`,
        {
          create: smokeTestCommand({ projectId: args.mgmtProjectId, ...args.smokeTest }),
          interpreter: ["/bin/bash", "-c"],
          triggers: args.triggers,
        },
        { parent: this, dependsOn: args.after },
      );
    }
    this.registerOutputs({ health: this.health });
  }
}
