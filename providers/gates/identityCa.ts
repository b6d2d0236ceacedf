import { shq } from "../../core/shell";

// Part of the preflight: the CA the driver hands to clusters must verify the cloud's public identity
// endpoint. magnum-capi-helm 1.4.0 writes each cluster's clouds.yaml with auth_url = the catalog's
// public identity endpoint and `cacert` = the file [drivers] openstack_ca_file names, or certifi's
// bundle when it is unset (common/app_creds.py); CAPO trusts nothing else. A private CA missing from
// that bundle fails every cluster create later, inside CAPO, with "x509: certificate signed by
// unknown authority". The public endpoint is read from [keystone_authtoken] www_authenticate_uri,
// keystonemiddleware's "public Identity API endpoint" (the charm renders the public address there).

/**
 * argv: the endpoint URL and the CA bundle. A TLS handshake that verifies the endpoint against that
 * bundle alone, as CAPO does. Prints one line: `trusted <issuer>`, `untrusted <why>`, `badca <why>`,
 * `failed <why>` (a handshake that fails otherwise) or `unreachable <why>`.
 */
export const IDENTITY_TLS_PROBE = String.raw`
import socket, ssl, sys, urllib.parse

def out(word, text):
    print(word, text)
    sys.exit(0)

url, ca = sys.argv[1:3]
parts = urllib.parse.urlsplit(url)
try:
    host, port = parts.hostname, parts.port or 443
except ValueError as e:
    out("failed", "%s is not a URL (%s)" % (url, e))
try:
    ctx = ssl.create_default_context(cafile=ca)
except (OSError, ssl.SSLError) as e:
    out("badca", "%s does not load as a PEM bundle (%s)" % (ca, getattr(e, "reason", None) or e))
try:
    with socket.create_connection((host, port), timeout=15) as s:
        with ctx.wrap_socket(s, server_hostname=host) as t:
            issuer = dict(x[0] for x in t.getpeercert().get("issuer", ()))
            out("trusted", issuer.get("commonName") or issuer.get("organizationName") or "an issuer")
except ssl.SSLCertVerificationError as e:
    out("untrusted", e.verify_message or str(e))
except ssl.SSLError as e:
    out("failed", "TLS handshake with %s:%s failed (%s)" % (host, port, getattr(e, "reason", None) or e))
except OSError as e:
    out("unreachable", "%s:%s (%s)" % (host, port, e.strerror or e))
`;

/**
 * Runs after the [trust] check with `$conf` set; reads only the three keys it needs (never a
 * password) and leaves what it saw in `$seen_ca`. Refuses an endpoint the driver's CA bundle does
 * not verify, before anything changes. An endpoint this unit cannot reach is reported, not refused:
 * CAPO reaches it from the management cluster, not from here.
 */
export const IDENTITY_CA = String.raw`conf_value() { awk -v want="$1" '
  /^[ \t]*\[/ { sec = $0; gsub(/[ \t\[\]]/, "", sec); next }
  index($0, "=") > 0 {
    k = substr($0, 1, index($0, "=") - 1); gsub(/[ \t]/, "", k)
    if (sec "." k != want) next
    v = substr($0, index($0, "=") + 1); gsub(/^[ \t]+|[ \t\r]+$/, "", v); val = v
  }
  END { print val }' "$conf"; }
uri=$(conf_value keystone_authtoken.www_authenticate_uri)
[ -n "$uri" ] || uri=$(conf_value keystone_authtoken.auth_uri)
cafile=$(conf_value drivers.openstack_ca_file)
verify=$(conf_value drivers.verify_ca | tr 'A-Z' 'a-z')
where="[keystone_authtoken] www_authenticate_uri"
case "$verify:$uri" in
  false:*|no:*|off:*|0:*) seen_ca="identity CA not checked: [drivers] verify_ca is $verify (clusters do not verify)" ;;
  *:) seen_ca="identity CA not checked: no $where in $conf" ;;
  *:http://*) seen_ca="identity $uri is plain http: no CA involved" ;;
  *:https://*)
    if [ -n "$cafile" ]; then
      [ -f "$cafile" ] && [ -r "$cafile" ] ||
        gate "[drivers] openstack_ca_file $cafile to be a readable file (the driver reads it for every cluster)" "no such file"
      ca=$cafile; ca_desc="[drivers] openstack_ca_file $cafile"
    else
      ca=$(cd / && python3 -I -c 'import certifi; print(certifi.where())' 2>&1) ||
        gate "certifi in the conductor's python3 (the driver's CA bundle while [drivers] openstack_ca_file is unset)" "$(printf '%s' "$ca" | tail -n 1)"
      ca_desc="certifi's bundle $ca ([drivers] openstack_ca_file is unset)"
    fi
    verdict=$(cd / && timeout 60 python3 -I -c ${shq(IDENTITY_TLS_PROBE)} "$uri" "$ca" 2>&1) ||
      gate "the identity TLS probe (python3) to run" "$(printf '%s' "$verdict" | tail -n 2 | tr '\n' ' ')"
    expected="the public identity endpoint $uri ($where) to verify against $ca_desc, the CA bundle the driver hands to every cluster's CAPO"
    case "$verdict" in
      "trusted "*) seen_ca="identity $uri verified by $ca_desc (issuer ${"$"}{verdict#trusted })" ;;
      "unreachable "*) seen_ca="identity CA not checked: $uri unreachable from this unit (${"$"}{verdict#unreachable })" ;;
      "untrusted "*) gate "$expected" "${"$"}{verdict#untrusted } (set [drivers] openstack_ca_file to the CA bundle that signed it)" ;;
      "badca "*|"failed "*) gate "$expected" "${"$"}{verdict#* }" ;;
      *) gate "a verdict from the identity TLS probe" "$(printf '%s' "$verdict" | tail -n 2 | tr '\n' ' ')" ;;
    esac ;;
  *) seen_ca="identity CA not checked: $where is $uri, neither http nor https" ;;
esac`;
