import { OciChartRef } from "../../core/chart";
import { shq } from "../../core/shell";

// The chart half of the compatibility gate for a chart in an OCI registry: the driver runs
// `helm upgrade <release> oci://host/path/chart --version X` (no --repo), so helm pulls the tag X
// from https://host; the version must be tagged there as the conductor sees the registry.

/** helm stores a chart version as an OCI tag with `+` (not allowed in tags) as `_`. */
export function ociTag(version: string): string {
  return version.replace(/\+/g, "_");
}

/**
 * Lists the repository's tags by the distribution API (`GET /v2/<name>/tags/list`, following
 * `Link: <...>; rel="next"`), anonymously as helm does without a registry login: a 401 with a
 * Bearer challenge is answered by a token from its realm, then the request is retried once.
 * argv: registry, repository, tag. Prints one line: `tagged <n>`, `missing tags [<newest>]` or
 * `refused <why>`.
 */
export const REGISTRY_PROBE = String.raw`
import json, re, ssl, sys, urllib.error, urllib.parse, urllib.request

def out(word, text):
    print(word, text)
    sys.exit(0)

registry, name, want = sys.argv[1:4]
tls = ssl.create_default_context()
token = None

def get(url, auth):
    headers = {"Accept": "application/json"}
    if auth:
        headers["Authorization"] = "Bearer " + auth
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30, context=tls)

def anonymous_token(url, header):
    scheme, _, rest = (header or "").partition(" ")
    params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
    if scheme.lower() != "bearer" or not params.get("realm"):
        out("refused", "%s answered HTTP 401 asking for %s credentials; the driver's helm pulls anonymously unless the service user ran helm registry login" % (url, scheme or "unnamed"))
    realm = params["realm"]
    query = urllib.parse.urlencode([(k, params[k]) for k in ("service", "scope") if params.get(k)])
    try:
        with get(realm + ("&" if "?" in realm else "?") + query if query else realm, None) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        out("refused", "the token realm %s answered HTTP %d %s to an anonymous request" % (realm, e.code, e.reason))
    except (urllib.error.URLError, OSError, ValueError) as e:
        out("refused", "the token realm %s failed (%s)" % (realm, getattr(e, "reason", e)))
    found = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if not found:
        out("refused", "the token realm %s returned no token" % realm)
    return found

def page(url):
    global token
    for retry in (False, True):
        try:
            with get(url, token) as r:
                return json.load(r), r.headers.get("Link") or ""
        except urllib.error.HTTPError as e:
            if e.code != 401 or retry:
                out("refused", "%s answered HTTP %d %s" % (url, e.code, e.reason))
            token = anonymous_token(url, e.headers.get("WWW-Authenticate"))
        except (urllib.error.URLError, OSError) as e:
            out("refused", "%s unreachable (%s)" % (url, getattr(e, "reason", e)))
        except ValueError:
            out("refused", "%s answered something that is not JSON" % url)

url = "https://%s/v2/%s/tags/list" % (registry, name)
tags = []
for _ in range(100):
    body, link = page(url)
    tags += [t for t in (body.get("tags") if isinstance(body, dict) else None) or [] if isinstance(t, str)]
    nxt = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', link)
    if not nxt:
        break
    url = urllib.parse.urljoin(url, nxt.group(1))
if want in tags:
    out("tagged", str(len(tags)))
# Only what the spec allows in a tag reaches the finding; newest (by numeric runs) last.
valid = [t for t in tags if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}", t)]
valid.sort(key=lambda t: [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"([0-9]+)", t)])
out("missing", "tags [%s]%s" % (" ".join(valid[-6:]), " (newest of %d)" % len(valid) if len(valid) > 6 else ""))
`;

/** The gate's script for an OCI chart: the probe runs as root with the unit's own trust store. */
export function chartRegistryScript(ref: OciChartRef, reference: string, version: string): string {
  const tagsUrl = `https://${ref.registry}/v2/${ref.repository}/tags/list`;
  return String.raw`ref=${shq(reference)}; chart=${shq(ref.chart)}; want=${shq(version)}
last() { printf '%s' "$1" | tail -n 2 | tr '\n' ' '; }
probe=$(cd / && timeout 120 python3 -I -c ${shq(REGISTRY_PROBE)} ${shq(ref.registry)} ${shq(ref.repository)} ${shq(ociTag(version))} 2>&1) ||
  gate "the chart registry probe (python3) to run" "$(last "$probe")"
case "$probe" in
  "tagged "*) emit seen "$chart $want tagged in $ref" ;;
  "missing "*) gate ${shq(`chart ${ref.repository} version ${version} in ${ref.registry}`)} "${"$"}{probe#missing }" ;;
  "refused "*) gate ${shq(`HTTP 200 for ${tagsUrl}`)} "${"$"}{probe#refused }" ;;
  *) gate "a verdict from the chart registry probe" "$(last "$probe")" ;;
esac`;
}
