/** The two kinds of objects that list a Service's pods, and how RBAC names them. */
export const ENDPOINT_RESOURCES = {
  endpointslices: { group: 'discovery.k8s.io', resource: 'endpointslices' },
  endpoints: { group: '', resource: 'endpoints' },
} as const;

export type EndpointResource = keyof typeof ENDPOINT_RESOURCES;

/** What an informer needs: list, then watch. */
export const WATCH_VERBS = ['list', 'watch'] as const;

/** One question to the API server: may I `verb` `resource` in `namespace`? */
export interface AccessCheck {
  verb: (typeof WATCH_VERBS)[number];
  resource: EndpointResource;
  namespace: string;
}

export interface AccessResult extends AccessCheck {
  allowed: boolean;
}

/** Every check the forwarder asks at start-up: list and watch on both resources. */
export function accessChecks(namespace: string): AccessCheck[] {
  return (Object.keys(ENDPOINT_RESOURCES) as EndpointResource[]).flatMap((resource) =>
    WATCH_VERBS.map((verb) => ({ verb, resource, namespace })),
  );
}

/** `endpointslices.discovery.k8s.io`, or `endpoints` for the core group (kubectl's spelling). */
export function qualifiedResource(resource: EndpointResource): string {
  const { group } = ENDPOINT_RESOURCES[resource];
  return group ? `${resource}.${group}` : resource;
}

/** The Role rule that grants list and watch on a resource, in the form it is written in YAML. */
export function roleRule(resource: EndpointResource): string {
  const { group } = ENDPOINT_RESOURCES[resource];
  return `{apiGroups: ["${group}"], resources: ["${resource}"], verbs: ["list", "watch"]}`;
}

/**
 * Says exactly what is missing and how to grant it, e.g. `missing Kubernetes permission: list,
 * watch on endpointslices.discovery.k8s.io in namespace "spinnaker"; grant it with this rule in a
 * Role of namespace "spinnaker" bound to the forwarder's service account: {apiGroups: [...], ...}`.
 */
export function describeMissingAccess(missing: readonly AccessCheck[]): string {
  const byResource = new Map<EndpointResource, AccessCheck[]>();
  for (const check of missing)
    byResource.set(check.resource, [...(byResource.get(check.resource) ?? []), check]);
  return [...byResource.entries()]
    .map(([resource, checks]) => {
      const verbs = checks.map((c) => c.verb).join(', ');
      const namespace = checks[0].namespace;
      return (
        `missing Kubernetes permission: ${verbs} on ${qualifiedResource(resource)} in namespace "${namespace}"; ` +
        `grant it with this rule in a Role of namespace "${namespace}" bound to the forwarder's service account: ` +
        roleRule(resource)
      );
    })
    .join('. ');
}
