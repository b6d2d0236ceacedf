import { randomUUID } from "crypto";
import { json, Reply } from "./http";
import { Scope } from "./keystone";
import { normalizeRule, RuleError, sameRule } from "./neutron-rules";
import { SecurityGroup, Store } from "./state";
import { Rule, RuleSpec } from "./types";

const PAGING = new Set(["fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"]);

function neutronError(status: number, type: string, message: string): Reply {
  return json(status, { NeutronError: { type, message, detail: "" } });
}

/** Neutron's list filters: repeated keys are alternatives, `fields` trims each item. */
function filterList<T extends object>(
  items: T[],
  query: URLSearchParams,
  visible: (item: T) => boolean,
): unknown[] {
  const keys = [...new Set(query.keys())].filter((k) => !PAGING.has(k));
  const fields = query.getAll("fields");
  return items
    .filter((item) => (keys.some((k) => k === "project_id" || k === "tenant_id") ? true : visible(item)))
    .filter((item) =>
      keys.every((k) => {
        const v = (item as Record<string, unknown>)[k];
        return query.getAll(k).includes(v === null || v === undefined ? "" : String(v));
      }),
    )
    .map((item) =>
      fields.length ? Object.fromEntries(Object.entries(item).filter(([k]) => fields.includes(k))) : item,
    );
}

export class Neutron {
  constructor(private readonly store: Store) {}

  handle(method: string, url: URL, body: unknown, scope: Scope): Reply {
    const parts = url.pathname.replace(/\/+$/, "").split("/").filter(Boolean);
    if (parts.length === 0) {
      const href = `http://${url.host}/v2.0/`;
      return json(200, { versions: [{ id: "v2.0", status: "CURRENT", links: [{ href, rel: "self" }] }] });
    }
    if (parts[0] !== "v2.0") return neutronError(404, "HTTPNotFound", "The resource could not be found.");
    const [, collection, id] = parts;
    if (collection === "extensions" && method === "GET") {
      const aliases = [
        "security-group",
        "standard-attr-description",
        "project-id",
        "stateful-security-group",
      ];
      return json(200, { extensions: aliases.map((alias) => ({ alias, name: alias, description: alias })) });
    }
    try {
      if (collection === "security-groups" && method === "GET") return this.groups(url, scope, id);
      if (collection === "security-group-rules") {
        if (method === "GET") return this.listOrShowRules(url, scope, id);
        if (method === "POST" && !id) return this.createRule(body, scope);
        if (method === "DELETE" && id) return this.deleteRule(id);
      }
    } catch (err) {
      if (err instanceof RuleError) return neutronError(err.status, err.type, err.message);
      throw err;
    }
    return neutronError(404, "HTTPNotFound", "The resource could not be found.");
  }

  private groupView(sg: SecurityGroup): Record<string, unknown> {
    return {
      ...sg,
      tenant_id: sg.project_id,
      stateful: true,
      shared: false,
      tags: [],
      updated_at: sg.created_at,
      revision_number: 1,
      security_group_rules: this.store.data.rules
        .filter((r) => r.security_group_id === sg.id)
        .map((r) => this.ruleView(r)),
    };
  }

  private ruleView(r: Rule): Record<string, unknown> {
    const sg = this.store.data.securityGroups.find((g) => g.id === r.security_group_id);
    return {
      ...r,
      tenant_id: r.project_id,
      normalized_cidr: r.remote_ip_prefix ?? null,
      remote_address_group_id: null,
      created_at: sg?.created_at,
      updated_at: sg?.created_at,
      revision_number: 0,
    };
  }

  /** Lists follow the token's project (unless project_id is asked for); by-id reads are admin-wide as in Neutron. */
  private groups(url: URL, scope: Scope, id?: string): Reply {
    const all = this.store.data.securityGroups;
    if (id) {
      const sg = all.find((g) => g.id === id);
      if (!sg) return neutronError(404, "SecurityGroupNotFound", `Security group ${id} does not exist`);
      return json(200, { security_group: this.groupView(sg) });
    }
    const views = all.map((g) => this.groupView(g));
    return json(200, {
      security_groups: filterList(views, url.searchParams, (g) => g.project_id === scope.projectId),
    });
  }

  private listOrShowRules(url: URL, scope: Scope, id?: string): Reply {
    const rules = this.store.data.rules;
    if (id) {
      const rule = rules.find((r) => r.id === id);
      if (!rule)
        return neutronError(404, "SecurityGroupRuleNotFound", `Security group rule ${id} does not exist`);
      return json(200, { security_group_rule: this.ruleView(rule) });
    }
    // Neutron shows a group's owner every rule in it, whoever created the rule.
    const owners = new Map(this.store.data.securityGroups.map((g) => [g.id, g.project_id]));
    const visible = (r: Record<string, unknown>): boolean =>
      r.project_id === scope.projectId || owners.get(r.security_group_id as string) === scope.projectId;
    const views = rules.map((r) => this.ruleView(r));
    return json(200, { security_group_rules: filterList(views, url.searchParams, visible) });
  }

  private createRule(body: unknown, scope: Scope): Reply {
    const spec = (
      body as {
        security_group_rule?: Partial<RuleSpec> & { security_group_id?: string; project_id?: string };
      }
    )?.security_group_rule;
    if (!spec) return neutronError(400, "BadRequest", "Resource body required");
    const sg = this.store.data.securityGroups.find((g) => g.id === spec.security_group_id);
    if (!sg)
      return neutronError(
        404,
        "SecurityGroupNotFound",
        `Security group ${spec.security_group_id} does not exist`,
      );
    const rule = { ...normalizeRule(spec), security_group_id: sg.id };
    const existing = this.store.data.rules.find((r) =>
      sameRule({ ...normalizeRule(r), security_group_id: r.security_group_id }, rule),
    );
    if (existing) {
      return neutronError(
        409,
        "SecurityGroupRuleExists",
        `Security group rule already exists. Rule id is ${existing.id}.`,
      );
    }
    const stored: Rule = { id: randomUUID(), project_id: spec.project_id ?? scope.projectId, ...rule };
    this.store.data.rules.push(stored);
    this.store.save();
    return json(201, { security_group_rule: this.ruleView(stored) });
  }

  private deleteRule(id: string): Reply {
    const rules = this.store.data.rules;
    const i = rules.findIndex((r) => r.id === id);
    if (i < 0)
      return neutronError(404, "SecurityGroupRuleNotFound", `Security group rule ${id} does not exist`);
    rules.splice(i, 1);
    this.store.save();
    return json(204);
  }
}
