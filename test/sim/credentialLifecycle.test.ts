import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { MiniEngine, Natives, Op } from "../harness/engine";
import { assertGrafted, assertRemoved, onUnit } from "./gates";
import { Lab } from "./lab";
import { kubePut } from "./natives";

// The scoped credential through whole lifecycles: the real program and providers, the credential's
// kubernetes objects written to the stub management cluster (whose token controller fills the token
// and whose RBAC answers the auth proof), simulated conductor units.

const PROJECT = "0123456789abcdef0123456789abcdef";
const PROJECT_NS = `magnum-${PROJECT}`;
const OTHER_NS = "magnum-fedcba9876543210fedcba9876543210";
const CRED_NS = "magnum-capi-graft";
const DAY_MS = 24 * 3600 * 1000;

/** The credential's cluster objects outside its namespace (what a rollback destroy keeps). */
const CREDENTIAL_OBJECTS = [
  `/api/v1/namespaces/${CRED_NS}`,
  "/apis/rbac.authorization.k8s.io/v1/clusterroles/magnum-conductor-cluster",
  "/apis/rbac.authorization.k8s.io/v1/clusterroles/magnum-conductor-project",
  "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/magnum-conductor-cluster",
  `/apis/rbac.authorization.k8s.io/v1/namespaces/${PROJECT_NS}/rolebindings/magnum-conductor`,
  ...["namespaces", "secrets", "roles", "rolebindings", "deployments"].flatMap((kind) => [
    `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/magnum-conductor-${kind}`,
    `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/magnum-conductor-${kind}`,
  ]),
];

const mutations = (ops: Op[]) =>
  ops.filter((o) => o.op !== "same" && o.op !== "read").map((o) => `${o.name}:${o.op}`);

/** A request to the stub management cluster with a bearer token; the status. */
async function kubeStatus(lab: Lab, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${lab.cloud.kubeServer}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function canI(lab: Lab, token: string, attrs: Record<string, string>): Promise<boolean> {
  const r = await kubeStatus(lab, token, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
    spec: { resourceAttributes: attrs },
  });
  assert.equal(r.status, 201, `SelfSubjectAccessReview: ${r.status}`);
  return (r.body.status as { allowed: boolean }).allowed;
}

/** The token in the unit's kubeconfig, after checking the file is the scoped one, 0600, the service user's. */
async function deliveredToken(lab: Lab): Promise<string> {
  const u = lab.units[0];
  const kubeconfig = String(await u.readFile("/etc/magnum/kubeconfig"));
  assert.deepEqual(await u.stat("/etc/magnum/kubeconfig"), {
    mode: "0600",
    owner: "magnum",
    group: "magnum",
  });
  assert.match(kubeconfig, /^ {4}server: http:\/\/127\.0\.0\.1:\d+$/m);
  const token = /^ {4}token: (\S+)$/m.exec(kubeconfig)?.[1] ?? "";
  assert.ok(token.length > 40 && token !== lab.cloud.kubeToken, "a minted token, not the admin's");
  return token;
}

function entry(engine: MiniEngine, name: string) {
  const e = [...engine.state.values()].find((x) => x.name === name);
  assert.ok(e, `${name} in state`);
  return e;
}

describe("scoped conductor credential through its lifecycle", function () {
  this.timeout(600_000);
  let lab: Lab;
  const output: string[] = [];
  const originalLog = console.log;

  before(async () => {
    lab = await Lab.start({ units: [{}] });
    // The project's namespace, as the driver's first cluster of that project created it before the
    // program labelled it.
    await kubePut(
      { server: lab.cloud.kubeServer, token: lab.cloud.kubeToken },
      `/api/v1/namespaces/${PROJECT_NS}`,
      {
        metadata: { name: PROJECT_NS },
      },
    );
    console.log = (...a: unknown[]) => output.push(a.join(" "));
  });
  after(async () => {
    console.log = originalLog;
    await lab?.stop();
  });

  const scoped = (extra: Record<string, unknown> = {}) =>
    lab.config({ conductorCredential: "scoped", credentialProjects: [PROJECT], ...extra });

  describe("rollback mode: graft, no-op, rotation, destroy", () => {
    let engine: MiniEngine;
    let first: string;

    before(() => {
      engine = lab.engine();
    });

    it("delivers a token kubeconfig whose account holds the driver's rights and nothing wider", async () => {
      const r = await engine.up(scoped());
      first = await deliveredToken(lab);
      assert.ok(
        await canI(lab, first, { namespace: PROJECT_NS, verb: "create", group: "", resource: "secrets" }),
      );
      // Its project's namespace only, which the program labelled for Pod Security baseline.
      for (const verb of ["create", "patch"]) {
        assert.ok(await canI(lab, first, { verb, group: "", resource: "namespaces", name: PROJECT_NS }));
        assert.ok(!(await canI(lab, first, { verb, group: "", resource: "namespaces", name: OTHER_NS })));
        assert.ok(!(await canI(lab, first, { verb, group: "", resource: "namespaces" })));
      }
      const ns = await kubeStatus(lab, lab.cloud.kubeToken, "GET", `/api/v1/namespaces/${PROJECT_NS}`);
      assert.equal(
        (ns.body.metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"],
        "baseline",
      );
      assert.ok(
        !(await canI(lab, first, { namespace: "kube-system", verb: "get", group: "", resource: "secrets" })),
      );
      assert.equal(
        (await kubeStatus(lab, first, "GET", "/api/v1/namespaces/kube-system/secrets")).status,
        403,
      );
      assert.match(
        String(entry(engine, "magnum-0-install-driver").outputs.gatesSeen),
        new RegExp(
          `^auth proof \\(rights, helm list -n <project>\\): rights: \\d+ held; releases per project namespace: ${PROJECT_NS}:0$`,
        ),
      );
      assert.equal(await onUnit(lab.units[0], "systemctl is-active magnum-conductor"), "active");
      assert.equal(
        await onUnit(lab.units[0], `grep -rlF ${lab.cloud.kubeToken} /etc /var/lib/magnum /tmp || true`),
        "",
        "the admin token is nowhere on the unit",
      );
      assert.ok(mutations(r.ops).includes("conductor-credential-token:create"));
    });

    it("keeps the token secret, the account on a rollback destroy, and never deletes a token Secret by replacement", () => {
      for (const name of [
        `conductor-credential-namespace-${PROJECT_NS}`,
        "conductor-credential-ns",
        "conductor-credential-sa",
        "conductor-credential-cluster",
        "conductor-credential-project",
        `conductor-credential-project-${PROJECT_NS}`,
      ]) {
        assert.equal(entry(engine, name).retainOnDelete, true, name);
      }
      const token = entry(engine, "conductor-credential-token");
      assert.deepEqual(token.additionalSecretOutputs, ["data", "stringData"], "the token is a secret output");
      assert.ok(entry(engine, "magnum-0-access-kubeconfig").secretInputs.includes("content"));
      // Only the revocation step, after every unit's delivery and restart, deletes a token Secret.
      assert.equal(
        token.retainOnDelete,
        true,
        "a replacement's delete could run before the units have the new one",
      );
      const revocation = entry(engine, "conductor-credential-revocation");
      assert.ok(revocation.deps.includes(entry(engine, "magnum-0-access-kubeconfig").urn));
      assert.ok(revocation.deps.includes(entry(engine, "magnum-0-service-restart").urn));
      assert.ok(revocation.secretInputs.includes("kubeconfig"));
    });

    it("makes no change on a second up", async () => {
      const pid = await lab.units[0].daemonPid();
      const r = await engine.up(scoped());
      assert.deepEqual(mutations(r.ops), []);
      assert.equal(await lab.units[0].daemonPid(), pid);
    });

    it("rotates once the token is credentialRotationDays old: shown in preview, delivered, restarted, then revoked", async () => {
      // Age the recorded generation instead of waiting 90 days.
      const rotation = entry(engine, "conductor-credential-rotation");
      const minted = new Date(Date.now() - 100 * DAY_MS).toISOString();
      engine.state.set(rotation.urn, {
        ...rotation,
        inputs: { ...rotation.inputs, mintedAt: minted },
        outputs: { ...rotation.outputs, mintedAt: minted },
      });
      const since = Date.now();
      const preview = await engine.up(scoped(), { preview: true });
      assert.ok(
        mutations(preview.ops).includes("conductor-credential-rotation:replace"),
        mutations(preview.ops).join(),
      );
      // (The engine shows the token Secret as replaced too: its name waits on the new generation.)
      assert.equal(
        (await lab.juju.calls()).filter((c) => c.start >= since).length,
        0,
        "preview touched no unit",
      );
      assert.equal(
        (await kubeStatus(lab, first, "GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`)).status,
        200,
      );

      const pid = await lab.units[0].daemonPid();
      const r = await engine.up(scoped());
      const ops = mutations(r.ops);
      const restart = ops.indexOf("magnum-0-service-restart:update");
      const revoke = ops.indexOf("conductor-credential-revocation:update");
      assert.ok(ops.includes("magnum-0-access-kubeconfig:update"), ops.join());
      assert.ok(
        restart >= 0 && revoke > restart,
        `the old token is revoked after the restart: ${ops.join()}`,
      );
      assert.notEqual(await lab.units[0].daemonPid(), pid);
      const second = await deliveredToken(lab);
      assert.notEqual(second, first);
      assert.equal(
        (await kubeStatus(lab, first, "GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`)).status,
        401,
      );
      assert.equal(
        (await kubeStatus(lab, second, "GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`)).status,
        200,
      );
      assert.match(
        String(entry(engine, "conductor-credential-rotation").inputs.rotation),
        /^token age 100 days reached credentialRotationDays 90: generation 2 replaces 1/,
      );
      assert.deepEqual(mutations((await engine.up(scoped())).ops), [], "settled after the rotation");
      first = second;
    });

    it("keeps the delivered token and its account on a rollback destroy (the 1.3.0 holding state uses it)", async () => {
      await engine.destroy();
      assert.equal(await deliveredToken(lab), first);
      assert.equal(
        (await kubeStatus(lab, first, "GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`)).status,
        200,
      );
      assert.equal(await onUnit(lab.units[0], "systemctl is-active magnum-conductor"), "active");
      // Clean up what rollback kept, so the next lifecycle starts from nothing.
      const admin = lab.cloud.kubeToken;
      for (const path of CREDENTIAL_OBJECTS) {
        assert.equal((await kubeStatus(lab, admin, "DELETE", path)).status, 200, path);
      }
    });
  });

  describe("remove mode: switch back to admin, then scoped again and destroy", () => {
    let engine: MiniEngine;

    before(() => {
      engine = lab.engine();
    });

    it("switches to admin with an ordinary up: the admin kubeconfig delivered, the account deleted", async () => {
      await engine.up(scoped({ destroyMode: "remove" }));
      const token = await deliveredToken(lab);
      const pid = await lab.units[0].daemonPid();
      const r = await engine.up(lab.config({ destroyMode: "remove" }));
      assert.ok(mutations(r.ops).includes("magnum-0-access-kubeconfig:update"));
      assert.notEqual(await lab.units[0].daemonPid(), pid, "restarted onto the new kubeconfig");
      await assertGrafted(lab, lab.units[0]);
      assert.equal(
        (await kubeStatus(lab, token, "GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`)).status,
        401,
      );
      const admin = lab.cloud.kubeToken;
      assert.equal((await kubeStatus(lab, admin, "GET", `/api/v1/namespaces/${CRED_NS}`)).status, 404);
      assert.equal(
        (
          await kubeStatus(
            lab,
            admin,
            "GET",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/magnum-conductor-project",
          )
        ).status,
        404,
      );
    });

    it("switches to scoped again and a remove destroy deletes the account, its bindings and namespace", async () => {
      await engine.up(scoped({ destroyMode: "remove" }));
      const token = await deliveredToken(lab);
      await engine.destroy();
      await assertRemoved(lab, lab.units[0]);
      assert.equal(
        (await kubeStatus(lab, token, "GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`)).status,
        401,
      );
      const admin = lab.cloud.kubeToken;
      for (const path of [
        `/api/v1/namespaces/${CRED_NS}`,
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/magnum-conductor-cluster",
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${PROJECT_NS}/rolebindings/magnum-conductor`,
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/magnum-conductor-secrets",
      ]) {
        assert.equal((await kubeStatus(lab, admin, "GET", path)).status, 404, path);
      }
      assert.equal(
        (await kubeStatus(lab, admin, "GET", `/api/v1/namespaces/${PROJECT_NS}`)).status,
        200,
        "the project's namespace stays (clusters live in it)",
      );
    });
  });

  describe("afterwards", () => {
    it("never logged a token or the kubeconfig", async () => {
      const admin = /token: (\S+)/.exec(fs.readFileSync(lab.kubeconfigPath, "utf8"))?.[1] ?? "";
      const calls = JSON.stringify(await lab.juju.calls());
      const logged = output.join("\n");
      for (const secret of [admin, "eyJhbGciOiJFUzI1NiJ9."]) {
        assert.ok(!logged.includes(secret), "a token in the program's output");
        assert.ok(!calls.includes(secret), "a token in a juju argv");
      }
    });
  });
});

describe("scoped conductor credential on three units: no unit is ever cut off", function () {
  this.timeout(900_000);
  let lab: Lab;
  const originalLog = console.log;
  /** What the watch saw: a unit whose kubeconfig's token was refused, and after what. */
  const cutOff: string[] = [];

  /** The token in each unit's kubeconfig file. */
  const tokens = async () =>
    Promise.all(
      lab.units.map(
        async (u) =>
          /^ {4}token: (\S+)$/m.exec(String(await u.readFile("/etc/magnum/kubeconfig")))?.[1] ?? "",
      ),
    );

  /** Set once every unit holds a scoped token: from then on, none may lose its rights. */
  let armed = false;

  /** Every unit's token authenticates and holds its project's rights; otherwise who and after what. */
  async function watch(after: string): Promise<void> {
    if (!armed) return;
    for (const [i, token] of (await tokens()).entries()) {
      const secrets = await kubeStatus(lab, token, "GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`);
      const ns = await canI(lab, token, {
        verb: "patch",
        group: "",
        resource: "namespaces",
        name: PROJECT_NS,
      }).catch(() => false);
      if (secrets.status !== 200 || !ns) cutOff.push(`magnum/${i} after ${after}: ${secrets.status}`);
    }
  }

  /** The lab's natives, each operation followed by the watch. */
  const watched = (inner: Natives): Natives => ({
    async newResource(r, old, preview) {
      const res = await inner.newResource(r, old, preview);
      if (!preview && res.op !== "same" && res.op !== "read") await watch(`${r.name}:${res.op}`);
      return res;
    },
    call: (token, inputs) => inner.call(token, inputs),
    async delete(e) {
      await inner.delete(e);
      await watch(`${e.name}:delete`);
    },
  });

  const scoped = (extra: Record<string, unknown> = {}) =>
    lab.config({ conductorCredential: "scoped", credentialProjects: [PROJECT], ...extra });

  before(async () => {
    lab = await Lab.start({ units: [{}, {}, {}] });
    console.log = () => undefined;
  });
  after(async () => {
    console.log = originalLog;
    await lab?.stop();
  });

  /** Makes the recorded token generation `days` old, as if that much time had passed. */
  function age(engine: MiniEngine, days: number): void {
    const rotation = entry(engine, "conductor-credential-rotation");
    const minted = new Date(Date.now() - days * DAY_MS).toISOString();
    engine.state.set(rotation.urn, {
      ...rotation,
      inputs: { ...rotation.inputs, mintedAt: minted },
      outputs: { ...rotation.outputs, mintedAt: minted },
    });
  }

  describe("a rotation that fails on the second unit's delivery", () => {
    let engine: MiniEngine;
    let old: string;

    before(() => {
      engine = lab.engine(watched);
    });

    it("grafts the three units with one token", async () => {
      await engine.up(scoped());
      const t = await tokens();
      assert.ok(t[0] && t.every((x) => x === t[0]), "one token on every unit");
      old = t[0];
      armed = true;
    });

    it("keeps the old token valid while a unit still holds it: the failed up revokes nothing", async () => {
      age(engine, 100);
      // The second unit's delivery refuses before it writes anything: the service user it would own
      // the file is gone from that unit.
      const second = lab.units[1];
      await onUnit(second, "cp -a /etc/passwd /etc/passwd.away && sed -i '/^magnum:/d' /etc/passwd");
      try {
        await assert.rejects(
          engine.up(scoped()),
          /write \/etc\/magnum\/kubeconfig on magnum\/1: expected user magnum on the unit; saw no such user/,
        );
      } finally {
        await onUnit(second, "mv /etc/passwd.away /etc/passwd");
      }
      const t = await tokens();
      assert.equal(t[1], old, "magnum/1 still holds the old token");
      assert.notEqual(t[0], old, "magnum/0 has the new one");
      assert.equal(
        (await kubeStatus(lab, old, "GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`)).status,
        200,
      );
      assert.deepEqual(cutOff, []);
    });

    it("finishes with the next up: delivers, restarts, then revokes the old token, no unit cut off at any point", async () => {
      const r = await engine.up(scoped());
      const ops = mutations(r.ops);
      const revoke = ops.indexOf("conductor-credential-revocation:update");
      assert.ok(revoke >= 0, ops.join());
      for (const u of [
        "magnum-1-access-kubeconfig:update",
        "magnum-1-service-restart:update",
        "magnum-2-service-restart:update",
      ]) {
        assert.ok(
          ops.indexOf(u) >= 0 && ops.indexOf(u) < revoke,
          `${u} before the revocation: ${ops.join()}`,
        );
      }
      const t = await tokens();
      assert.ok(
        t.every((x) => x === t[0] && x !== old),
        "every unit holds the new token",
      );
      assert.equal(
        (await kubeStatus(lab, old, "GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`)).status,
        401,
      );
      assert.deepEqual(cutOff, []);
      assert.deepEqual(mutations((await engine.up(scoped())).ops), [], "settled");
      armed = false;
      await engine.destroy();
      for (const path of CREDENTIAL_OBJECTS) await kubeStatus(lab, lab.cloud.kubeToken, "DELETE", path);
    });
  });

  describe("an upgrade from a stack made with the released scoped credential", () => {
    const released = JSON.parse(
      fs.readFileSync(
        path.resolve(__dirname, "../../../test/fixtures/released-scoped-credential.json"),
        "utf8",
      ),
    ) as { clusterRoles: Record<string, unknown[]>; tokenSecret: { deletedWith: string } };

    it("re-binds in place: every unit's token keeps its rights through the update", async () => {
      const engine = lab.engine(watched);
      await engine.up(scoped());
      toReleased(engine, released);
      const admin = lab.cloud.kubeToken;
      for (const [name, rules] of Object.entries(released.clusterRoles)) {
        const p = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`;
        assert.equal((await kubeStatus(lab, admin, "PUT", p, { metadata: { name }, rules })).status, 200);
      }
      for (const p of CREDENTIAL_OBJECTS.filter((x) => x.includes("admissionregistration")))
        assert.equal((await kubeStatus(lab, admin, "DELETE", p)).status, 200, p);
      const token = (await tokens())[0];
      // What the release could not do: a namespace of any name, which this update takes away.
      assert.ok(
        await canI(lab, token, { verb: "create", group: "", resource: "namespaces", name: OTHER_NS }),
      );

      armed = true;
      const ops = mutations((await engine.up(scoped())).ops);
      assert.deepEqual(
        ops.filter((o) => /:(replace|delete)$/.test(o)),
        [],
        `nothing of the account is replaced or deleted: ${ops.join()}`,
      );
      assert.deepEqual(cutOff, [], "no unit's token lost its rights at any point");
      assert.ok(
        !(await canI(lab, token, { verb: "create", group: "", resource: "namespaces", name: OTHER_NS })),
      );
      assert.equal((await tokens())[0], token, "the same token: no rotation, no restart needed");
      assert.equal(entry(engine, "conductor-credential-token").retainOnDelete, true);
      assert.deepEqual(mutations((await engine.up(scoped())).ops), [], "settled");
    });
  });
});

/**
 * The state as the released credential left it: no project namespace, admission policy or revocation
 * step in state, and the token Secret deleted by replacement, deletedWith its namespace.
 */
function toReleased(
  engine: MiniEngine,
  released: { clusterRoles: Record<string, unknown[]>; tokenSecret: { deletedWith: string } },
): void {
  for (const e of [...engine.state.values()]) {
    if (/^conductor-credential-(namespace-|policy-|revocation$)/.test(e.name)) engine.state.delete(e.urn);
    if (e.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole") {
      const rules = released.clusterRoles[(e.inputs.metadata as { name: string }).name];
      engine.state.set(e.urn, { ...e, inputs: { ...e.inputs, rules }, outputs: { ...e.outputs, rules } });
    }
  }
  const token = entry(engine, "conductor-credential-token");
  engine.state.set(token.urn, {
    ...token,
    retainOnDelete: false,
    deletedWith: entry(engine, released.tokenSecret.deletedWith).urn,
  });
}
