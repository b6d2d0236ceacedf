// Everything that reaches a remote shell passes through here: values are validated against a
// pattern first, then single-quoted, so a hostile value can neither break out nor smuggle options.

/** Single-quotes a string for POSIX shells; the result is one word whatever it contains. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Throws unless `value` matches `pattern` entirely; `what` names the value in the message. */
export function mustMatch(what: string, value: string, pattern: RegExp, expected: string): string {
  if (!pattern.test(value)) {
    throw new Error(`${what}: expected ${expected}; saw ${redactUrls(JSON.stringify(value))}`);
  }
  return value;
}

export const PATTERNS = {
  unit: /^[a-z][a-z0-9-]*\/[0-9]+$/,
  model: /^([a-z0-9][a-z0-9-]*:)?([a-z0-9][a-z0-9.@_-]*\/)?[a-z0-9][a-z0-9-]*$/,
  ipv4: /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/,
  dnsName:
    /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  absPath: /^\/[A-Za-z0-9._/-]*$/,
  pipVersion: /^[0-9]+(\.[0-9]+)*((a|b|rc|\.post|\.dev)[0-9]+)?$/,
  helmVersion: /^v[0-9]+\.[0-9]+\.[0-9]+$/,
  sha256: /^[0-9a-f]{64}$/,
  userName: /^[a-z_][a-z0-9_-]{0,31}$/,
  serviceName: /^[a-z][a-z0-9@_.-]*$/,
  releaseName: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  /** A Kubernetes namespace: a DNS-1123 label. */
  namespace: /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  fileMode: /^0[0-7]{3}$/,
} as const;

/**
 * An http(s) URL without whitespace, control characters or credentials: a URL travels in the remote
 * command line and in plaintext state, so `user:token@` in it would leak (index credentials belong
 * in the unit's pip.conf or netrc).
 */
export function isHttpUrl(value: string): boolean {
  if (/[\s\x00-\x1f\x7f]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (
      (url.protocol === "http:" || url.protocol === "https:") &&
      url.hostname !== "" &&
      url.username === "" &&
      url.password === ""
    );
  } catch {
    return false;
  }
}

/** Masks the `user:password@` part of any URL in a message, so a rejected URL is named without leaking. */
export function redactUrls(text: string): string {
  return text.replace(/(\/\/)[^/@\s"']*@/g, "$1***@");
}
