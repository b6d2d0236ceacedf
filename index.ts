import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { Acceptance } from "./components/acceptance";
import { Compatibility } from "./components/compatibility";
import { ConductorCredential } from "./components/conductorCredential";
import { ConductorGraft } from "./components/conductorGraft";
import { apiEndpoint } from "./core/kubeconfig";
import { projectNamespace } from "./components/credentialRules";
import { DayTwo } from "./components/dayTwo";
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
  // Day 2: chart and controller versions checked before any unit changes.
  const compatibility = new Compatibility("compatibility", {
    chartVersion: cfg.chartVersion,
    kubernetes: mgmt.provider,
    capo: mgmt.capo,
    capiStack: mgmt.capiStack,
  });

  // scoped: a least-privilege account minted through the admin provider; its kubeconfig goes to the units.
  const credential =
    cfg.conductorCredential === "scoped"
      ? new ConductorCredential("conductor-credential", {
          provider: mgmt.provider,
          adminKubeconfig: kubeconfig,
          namespace: cfg.credentialNamespace,
          api: apiEndpoint(mgmtKubeconfig, cfg.mgmtApiHost, cfg.mgmtApiPort),
          projectNamespaces: cfg.credentialProjects.map(projectNamespace),
          imageAllowList: cfg.credentialImageAllowList,
          rotationDays: cfg.credentialRotationDays,
          destroyMode: cfg.destroyMode,
        })
      : undefined;

  // Everything up to a unit's restart runs side by side across units; the restarts roll in the order
  // of `conductors` (each waits for the previous one to be back), and a destroy's restarts in reverse.
  const grafts: ConductorGraft[] = [];
  for (const [i, conductor] of conductors.entries()) {
    grafts.push(
      new ConductorGraft(conductor.unit.replace("/", "-"), {
        settings,
        conductor,
        kubeconfig: credential?.kubeconfig ?? kubeconfig,
        securityGroupId: sg.id,
        rule: decideRule(sg.ingressRules, conductor.unit, conductor.address, cfg.mgmtApiPort),
        openstackProvider,
        capiStack: compatibility.ready,
        apiResourcesJson: mgmt.apiResourcesJson,
        roll: { previous: grafts[i - 1], later: conductors.slice(i + 1).map((c) => c.unit) },
      }),
    );
  }
  // A rotated-out token is revoked only once every unit holds (and has restarted onto) the new one.
  credential?.revokeAfter(grafts);
  const acceptance = new Acceptance("acceptance", {
    mgmtProjectId: cfg.mgmtProjectId,
    healthCheckCluster: cfg.healthCheckCluster,
    healthPollAttempts: cfg.healthPollAttempts,
    healthPollIntervalSeconds: cfg.healthPollIntervalSeconds,
    smokeTest: cfg.smokeTest,
    triggers: grafts.map((g) => g.restartPid),
    after: grafts.map((g) => g.service),
  });

  // Day 2: created after every unit's restart, so a destroy runs its refusal first.
  const dayTwo = new DayTwo("day-two", {
    destroyMode: cfg.destroyMode,
    allowRemoveWithClusters: cfg.allowRemoveWithClusters,
    mgmtProjectId: cfg.mgmtProjectId,
    kubeconfig,
    units: conductors.map((c) => c.unit),
    driverVersion: cfg.driverVersion,
    rollbackDriverVersion: cfg.rollbackDriverVersion,
    after: grafts.map((g) => g.service),
  });

  return {
    conductors: Object.fromEntries(
      conductors.map((c, i) => [
        c.unit,
        {
          driverVersion: grafts[i].installedVersion,
          runningDriverVersion: grafts[i].runningVersion,
          owesRestart: grafts[i].owesRestart,
          drivers: grafts[i].drivers,
          configDirLive: grafts[i].configDirLive,
          gates: grafts[i].gatesSeen,
          apiResources: mgmt.apiResourcesJson,
          health: acceptance.health,
        },
      ]),
    ),
    compatibility: compatibility.summary,
    ...(credential ? { credentialRotation: credential.rotation } : {}),
    onDestroy: dayTwo.onDestroy,
  };
};
