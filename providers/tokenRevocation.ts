import * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "./resource";
import { ADMIN_KUBE_PY, runLocal } from "./adminKube";
import { changedKeys, checkInputs } from "./diffing";
import { tail } from "./transport/transport";

// Revokes the conductors' rotated-out tokens: deletes every token Secret of the account but the one
// the units now hold. The program makes it wait for every unit's delivery and restart, so it runs only
// once every unit holds the current token; a failed up never reaches it and the next one does. The
// token Secrets themselves are retained on delete: a replacement left pending by a failed up would
// otherwise be deleted (its token revoked) first thing in the next update, before the units that still
// use it have the new kubeconfig.

export interface TokenRevocationInputs {
  /** The management cluster's admin kubeconfig (secret). */
  readonly kubeconfig: string;
  /** Where the account and its token Secrets live. */
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The token Secret every unit holds now: never revoked here. */
  readonly keep: string;
  /** The token Secrets' name prefix, `<prefix><generation>`. */
  readonly prefix: string;
}

export interface TokenRevocationOutputs extends TokenRevocationInputs {
  /** The token Secrets this step deleted when it last ran. */
  readonly revoked: string[];
}

const DNS = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function validate(i: TokenRevocationInputs): void {
  for (const k of ["namespace", "serviceAccount", "keep"] as const) {
    if (!DNS.test(i[k]))
      throw new Error(`${k}: expected a Kubernetes object name; saw ${JSON.stringify(i[k])}`);
  }
  if (!i.keep.startsWith(i.prefix))
    throw new Error(`keep: expected a name starting ${i.prefix}; saw ${JSON.stringify(i.keep)}`);
}

/**
 * argv: namespace, account, keep, prefix. Refuses unless `keep` holds a token (a revocation never
 * leaves the account without one); prints the names it deleted as JSON.
 */
const REVOKE =
  ADMIN_KUBE_PY +
  String.raw`
import re
namespace, account, keep, prefix = sys.argv[1:5]
base = "/api/v1/namespaces/%s/secrets" % namespace
try:
    current = kube("GET", "%s/%s" % (base, keep))
    if not (current.get("data") or {}).get("token"):
        sys.exit("expected %s/%s to hold the units' token; it holds none" % (namespace, keep))
    ours = re.compile(re.escape(prefix) + r"[0-9]+$")
    revoked = []
    for s in kube("GET", base).get("items") or []:
        meta = s.get("metadata") or {}
        name = meta.get("name", "")
        if (name != keep and ours.match(name) and s.get("type") == "kubernetes.io/service-account-token"
                and (meta.get("annotations") or {}).get("kubernetes.io/service-account.name") == account):
            try:
                kube("DELETE", "%s/%s" % (base, name))
            except urllib.error.HTTPError as e:
                if e.code != 404:
                    raise
            revoked.append(name)
except urllib.error.HTTPError as e:
    sys.exit("HTTP %d %s from %s" % (e.code, e.reason, server))
except (urllib.error.URLError, OSError) as e:
    sys.exit("cannot reach %s: %s" % (server, getattr(e, "reason", e)))
print(json.dumps(sorted(revoked)))
`;

/** Deletes the account's token Secrets but `keep`; the names deleted. */
export async function revokeOthers(i: TokenRevocationInputs): Promise<string[]> {
  const r = await runLocal(
    "python3",
    ["-I", "-c", REVOKE, i.namespace, i.serviceAccount, i.keep, i.prefix],
    i.kubeconfig,
    120_000,
  );
  if (r.code !== 0) {
    throw new Error(
      `token revocation: expected to delete the rotated-out token Secrets of ${i.namespace}/` +
        `${i.serviceAccount} but ${i.keep}; saw ${tail(r.stderr)}`,
    );
  }
  return JSON.parse(r.stdout) as string[];
}

const KEYS = ["namespace", "serviceAccount", "keep", "prefix"] as const;

export class TokenRevocationProvider implements pulumi.dynamic.ResourceProvider {
  async check(
    _olds: TokenRevocationInputs,
    news: TokenRevocationInputs,
  ): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(news, validate, "keep");
  }

  /** A new admin kubeconfig alone leaves nothing new to revoke. */
  async diff(_id: string, olds: TokenRevocationOutputs, news: TokenRevocationInputs) {
    return { changes: changedKeys(olds, news, KEYS).length > 0 };
  }

  async create(inputs: TokenRevocationInputs): Promise<pulumi.dynamic.CreateResult> {
    return { id: "token-revocation", outs: { ...inputs, revoked: await revokeOthers(inputs) } };
  }

  async update(_id: string, _olds: TokenRevocationOutputs, news: TokenRevocationInputs) {
    return { outs: { ...news, revoked: await revokeOthers(news) } };
  }

  /** Nothing to undo: the remaining token goes with its namespace (remove) or stays (rollback). */
  async delete(): Promise<void> {}
}

export type TokenRevocationArgs = {
  readonly [K in keyof TokenRevocationInputs]: pulumi.Input<TokenRevocationInputs[K]>;
};

/** Revokes every rotated-out token of the account once it runs (place it after every delivery). */
export class TokenRevocation extends dynamicResource<TokenRevocationArgs>(
  "TokenRevocation",
  new TokenRevocationProvider(),
  ["revoked"],
) {
  declare readonly revoked: pulumi.Output<string[]>;

  constructor(name: string, args: TokenRevocationArgs, opts?: pulumi.CustomResourceOptions) {
    super(name, args, { ...opts, additionalSecretOutputs: ["kubeconfig"] });
  }
}
