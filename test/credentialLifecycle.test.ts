import { strict as assert } from "assert";
import * as fs from "fs";
import { MiniEngine, Op } from "./harness/engine";
import { assertGrafted, assertRemoved, onUnit } from "./sim/gates";
import { Lab } from "./sim/lab";
import { kubePut } from "./sim/natives";

// The scoped credential through whole lifecycles: the real program and providers, the credential's
// kubernetes objects written to the stub management cluster (whose token controller fills the token
// and whose RBAC answers the auth proof), simulated conductor units.

const PROJECT = "0123456789abcdef0123456789abcdef";
const PROJECT_NS = `magnum-${PROJECT}`;
const CRED_NS = "magnum-capi-graft";
const DAY_MS = 24 * 3600 * 1000;

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
    // The project's namespace, as the driver's first cluster of that project creates it.
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
      assert.ok(await canI(lab, first, { verb: "create", group: "", resource: "namespaces" }));
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

    it("keeps the token secret, the account on a rollback destroy, and revokes a rotated-out token: retainOnDelete and deletedWith", () => {
      for (const name of [
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
      assert.equal(token.retainOnDelete, false, "a retained Secret would survive its replacement");
      assert.equal(token.deletedWith, entry(engine, "conductor-credential-ns").urn);
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
      const revoke = ops.indexOf("conductor-credential-token:delete");
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
      for (const path of [
        `/api/v1/namespaces/${CRED_NS}`,
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/magnum-conductor-cluster",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/magnum-conductor-project",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/magnum-conductor-cluster",
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${PROJECT_NS}/rolebindings/magnum-conductor`,
      ]) {
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
      ]) {
        assert.equal((await kubeStatus(lab, admin, "GET", path)).status, 404, path);
      }
      assert.equal(
        (await kubeStatus(lab, admin, "GET", `/api/v1/namespaces/${PROJECT_NS}`)).status,
        200,
        "the project's namespace stays",
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
