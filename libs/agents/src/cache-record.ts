/**
 * A resource as a caching agent or refresher read it from AWS: a Clouddriver key, its scope, its
 * attributes and its outgoing relationships. The store's `ResourceRecord` has the same shape.
 */
export interface CacheRecord {
  key: string;
  /** Clouddriver key type: instances, serverGroups, clusters, applications, launchTemplates ... */
  type: string;
  account?: string | null;
  region?: string | null;
  application?: string | null;
  attributes: Record<string, unknown>;
  /** Related key type -> keys (e.g. `{ instances: [...] }` on a server group). */
  relationships?: Record<string, string[]>;
}
