import assert from "assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { algorithmsFor, fingerprint, keyType, knownKeys } from "../../providers/transport/knownHosts";
import { tempDirPerTest } from "./harness";

const ED = "AAAAC3NzaC1lZDI1NTE5AAAAIGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRk";
const ED2 = "AAAAC3NzaC1lZDI1NTE5AAAAIHd3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3";
const hosts = (text: string, host: string, port = 22) =>
  knownKeys(text, host, port).map((k) => `${k.revoked ? "revoked " : ""}${k.blob.toString("base64")}`);

describe("known_hosts and fingerprints", () => {
  const tmp = tempDirPerTest();

  it("computes the fingerprint and key type ssh-keygen -lf prints", () => {
    const file = path.join(tmp(), "k");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]);
    const pub = fs.readFileSync(`${file}.pub`, "utf8").split(" ");
    const printed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`])
      .toString()
      .split(" ")[1];
    const blob = Buffer.from(pub[1], "base64");
    assert.equal(fingerprint(blob), printed);
    assert.equal(keyType(blob), "ssh-ed25519");
  });

  it("matches plain names, [host]:port for other ports, comma lists, wildcards and negations", () => {
    const text = [
      "# a comment",
      "",
      `10.0.0.5,conductor-a ssh-ed25519 ${ED} root@a`,
      `[10.0.0.6]:2222 ssh-ed25519 ${ED}`,
      `10.0.1.*,!10.0.1.9 ssh-ed25519 ${ED2}`,
    ].join("\n");
    assert.deepEqual(hosts(text, "10.0.0.5"), [ED]);
    assert.deepEqual(hosts(text, "10.0.0.5", 2222), [], "a port-22 entry is not one for port 2222");
    assert.deepEqual(hosts(text, "10.0.0.6", 2222), [ED]);
    assert.deepEqual(hosts(text, "10.0.0.6"), []);
    assert.deepEqual(hosts(text, "10.0.1.4"), [ED2]);
    assert.deepEqual(hosts(text, "10.0.1.9"), [], "negated");
  });

  it("reads @revoked entries as revoked and never takes a @cert-authority key for a host key", () => {
    const text = [`@revoked 10.0.0.5 ssh-ed25519 ${ED}`, `@cert-authority 10.0.0.5 ssh-ed25519 ${ED2}`].join(
      "\n",
    );
    assert.deepEqual(hosts(text, "10.0.0.5"), [`revoked ${ED}`]);
  });

  it("matches hashed entries as ssh-keygen -H writes them, for port 22 and others", () => {
    const file = path.join(tmp(), "known_hosts");
    fs.writeFileSync(file, `10.0.0.5 ssh-ed25519 ${ED}\n[10.0.0.6]:2222 ssh-ed25519 ${ED2}\n`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
    const text = fs.readFileSync(file, "utf8");
    assert.ok(!text.includes("10.0.0"), "hashed");
    assert.deepEqual(hosts(text, "10.0.0.5"), [ED]);
    assert.deepEqual(hosts(text, "10.0.0.6", 2222), [ED2]);
    assert.deepEqual(hosts(text, "10.0.0.6"), []);
  });

  it("offers the known key types as host key algorithms, RSA with its SHA-2 signatures", () => {
    assert.deepEqual(algorithmsFor(["ssh-ed25519", "ssh-rsa", "ssh-ed25519"]), [
      "ssh-ed25519",
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
    ]);
  });
});
