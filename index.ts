import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { Acceptance } from "./components/acceptance";
import { ConductorGraft } from "./components/conductorGraft";
import { ManagementCluster } from "./components/managementCluster";
import { loadConfig } from "./config";
import { decideRule } from "./openstack/ingressRules";
import { lookupSecurityGroup } from "./openstack/securityGroup";

export = async () => {
  const raw = new pulumi.Config("magnum-capi-graft");
  const cfg = loadConfig((key) => raw.get(key));

  const { mgmtKubeconfig, conductors, jujuModel: _model, ...settings } = cfg;
  // Secret from here on, once: every resource that takes it gets this Output.
  const kubeconfig = pulumi.secret(mgmtKubeconfig);
  const openstackProvider = new openstack.Provider("capi-mgmt", { tenantId: cfg.mgmtProjectId });
  const sg = await lookupSecurityGroup(
    openstackProvider,
    cfg.mgmtProjectId,
    cfg.mgmtSecurityGroup,
    cfg.mgmtApiPort,
  );
  // Built after the await and consumed at once: an output that fails (CAPI stack down) is then
  // never a promise rejection left unhandled across an await.
  const mgmt = new ManagementCluster("mgmt", {
    kubeconfig,
    apiResources: cfg.apiResources,
  });

  const grafts = conductors.map(
    (conductor) =>
      new ConductorGraft(conductor.unit.replace("/", "-"), {
        settings,
        conductor,
        kubeconfig,
        securityGroupId: sg.id,
        rule: decideRule(sg.ingressRules, conductor.unit, conductor.address, cfg.mgmtApiPort),
        openstackProvider,
        capiStack: mgmt.capiStack,
        apiResourcesJson: mgmt.apiResourcesJson,
      }),
  );
  const acceptance = new Acceptance("acceptance", {
    mgmtProjectId: cfg.mgmtProjectId,
    healthCheckCluster: cfg.healthCheckCluster,
    healthPollAttempts: cfg.healthPollAttempts,
    healthPollIntervalSeconds: cfg.healthPollIntervalSeconds,
    smokeTest: cfg.smokeTest,
    triggers: grafts.map((g) => g.restartPid),
    after: grafts.map((g) => g.service),
  });

  return {
    conductors: Object.fromEntries(
      conductors.map((c, i) => [
        c.unit,
        {
          driverVersion: grafts[i].installedVersion,
          drivers: grafts[i].drivers,
          configDirLive: grafts[i].configDirLive,
          apiResources: mgmt.apiResourcesJson,
          health: acceptance.health,
        },
      ]),
    ),
  };
};
