import * as assert from "assert";
import * as fs from "fs";
import { StubCloud } from "./cloud";
import { openstack, options, PROJECT_ID } from "./fixtures";
import { tempDir } from "../unit/testSupport";

/** `openstack security group rule create` for tcp/6443 from `remote`; the group and flags follow. */
const tcp6443From = (remote: string): string[] => [
  "security",
  "group",
  "rule",
  "create",
  "--protocol",
  "tcp",
  "--dst-port",
  "6443",
  "--remote-ip",
  remote,
];

describe("stub cloud: Neutron via the real openstack CLI", function () {
  this.timeout(60_000);
  let dir: string;
  let cloud: StubCloud;
  let sgId: string;

  before(async () => {
    dir = tempDir("cloud");
    cloud = await StubCloud.start(
      options(dir, {
        securityGroups: [
          {
            name: "capi-mgmt-sg",
            rules: [
              {
                direction: "ingress",
                protocol: "tcp",
                port_range_min: 22,
                port_range_max: 22,
                remote_ip_prefix: "10.12.4.1",
              },
            ],
          },
          { name: "bare-sg" },
        ],
      }),
    );
  });

  after(async () => {
    await cloud?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows the group by name only in the capi-mgmt scope", async () => {
    const shown = await openstack(cloud, [
      "security",
      "group",
      "show",
      "capi-mgmt-sg",
      "-f",
      "value",
      "-c",
      "id",
    ]);
    assert.strictEqual(shown.code, 0, shown.stderr);
    sgId = shown.stdout.trim();
    assert.match(sgId, /^[0-9a-f-]{36}$/);

    const asAdmin = await openstack(cloud, ["security", "group", "show", "capi-mgmt-sg"], { scope: "admin" });
    assert.notStrictEqual(asAdmin.code, 0);
    assert.match(asAdmin.stderr, /No SecurityGroup found for capi-mgmt-sg/);

    const lookups = (await cloud.requests()).filter(
      (r) => r.path === "/v2.0/security-groups?name=capi-mgmt-sg",
    );
    assert.strictEqual(lookups.length, 2);
    assert.strictEqual(lookups[0].projectScope, PROJECT_ID);
    assert.match(lookups[1].projectScope ?? "", /^[0-9a-f]{32}$/);
    assert.notStrictEqual(lookups[1].projectScope, PROJECT_ID);
  });

  it("rejects a wrong password with 401", async () => {
    const bad = await openstack(cloud, ["security", "group", "list"], { env: { OS_PASSWORD: "wrong" } });
    assert.notStrictEqual(bad.code, 0);
    assert.match(bad.stderr, /HTTP 401/);
  });

  it("lists Neutron's default egress rules plus the seeded, normalized ones", async () => {
    const bare = await openstack(cloud, ["security", "group", "rule", "list", "bare-sg", "-f", "json"]);
    assert.strictEqual(bare.code, 0, bare.stderr);
    const rows = JSON.parse(bare.stdout) as Array<Record<string, string | null>>;
    assert.deepStrictEqual(rows.map((r) => `${r.Direction}/${r.Ethertype}/${r["IP Protocol"]}`).sort(), [
      "egress/IPv4/null",
      "egress/IPv6/null",
    ]);

    const listed = await openstack(cloud, [
      "security",
      "group",
      "rule",
      "list",
      sgId,
      "-f",
      "value",
      "-c",
      "IP Range",
      "-c",
      "Port Range",
    ]);
    assert.match(listed.stdout, /^10\.12\.4\.1\/32 22:22$/m);
  });

  it("creates a rule, refuses an identical one with SecurityGroupRuleExists, ignoring the description", async () => {
    const args = [...tcp6443From("10.12.4.76/32"), "--ingress"];
    const created = await openstack(cloud, [...args, sgId, "-f", "json"]);
    assert.strictEqual(created.code, 0, created.stderr);
    const rule = JSON.parse(created.stdout) as {
      id: string;
      remote_ip_prefix: string;
      port_range_min: number;
      project_id: string;
    };
    assert.strictEqual(rule.remote_ip_prefix, "10.12.4.76/32");
    assert.strictEqual(rule.port_range_min, 6443);
    assert.strictEqual(rule.project_id, PROJECT_ID);

    const again = await openstack(cloud, ["--debug", ...args, "--description", "conductor magnum/0", sgId]);
    assert.notStrictEqual(again.code, 0);
    assert.match(
      again.stderr,
      /ConflictException: 409, Security group rule already exists\. Rule id is ([0-9a-f-]+)\./,
    );
    assert.match(again.stderr, /"type":"SecurityGroupRuleExists"/);
    assert.ok(again.stderr.includes(`Rule id is ${rule.id}.`));

    const stored = await cloud.rules("capi-mgmt-sg");
    assert.strictEqual(stored.filter((r) => r.port_range_min === 6443).length, 1);
  });

  it("normalizes a bare address to /32, so it duplicates the /32 rule", async () => {
    const dup = await openstack(cloud, [...tcp6443From("10.12.4.76"), sgId]);
    assert.match(dup.stderr, /409/);
    const other = await openstack(cloud, [
      ...tcp6443From("10.12.4.77"),
      sgId,
      "-f",
      "value",
      "-c",
      "remote_ip_prefix",
    ]);
    assert.strictEqual(other.stdout.trim(), "10.12.4.77/32");
  });

  it("deletes a rule, and the change survives a restart on the same state dir", async () => {
    const target = (await cloud.rules("capi-mgmt-sg")).find((r) => r.remote_ip_prefix === "10.12.4.77/32");
    assert.ok(target);
    const deleted = await openstack(cloud, ["security", "group", "rule", "delete", target.id]);
    assert.strictEqual(deleted.code, 0, deleted.stderr);
    assert.ok(!(await cloud.rules("capi-mgmt-sg")).some((r) => r.id === target.id));

    const oldPid = cloud.pid;
    const { kubeToken, osEnv } = cloud;
    await cloud.stop();
    await cloud.stop();
    assert.throws(() => process.kill(oldPid, 0));
    cloud = await StubCloud.start(options(dir));
    assert.notStrictEqual(cloud.pid, oldPid);
    assert.deepStrictEqual([cloud.kubeToken, cloud.osEnv.OS_PASSWORD], [kubeToken, osEnv.OS_PASSWORD]);
    const listed = await openstack(cloud, [
      "security",
      "group",
      "rule",
      "list",
      "capi-mgmt-sg",
      "-f",
      "value",
      "-c",
      "IP Range",
      "-c",
      "Port Range",
    ]);
    assert.match(listed.stdout, /^10\.12\.4\.76\/32 6443:6443$/m);
    assert.doesNotMatch(listed.stdout, /10\.12\.4\.77/);
  });
});
