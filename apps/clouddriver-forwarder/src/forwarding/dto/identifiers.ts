import { z } from 'zod';

/** An opaque id (operation, agent): printable ASCII without spaces. */
export const opaqueId = z.string().regex(/^[\x21-\x7e]{1,256}$/, '1-256 printable characters without spaces');

/** A Clouddriver instance id: the pod name (a Kubernetes DNS subdomain). */
export const podName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a pod name');

/** A Spinnaker account name. */
export const accountName = z
  .string()
  .regex(/^[\x21-\x7e]{1,256}$/, '1-256 printable characters without spaces');

/** What operations and results may carry: the whole 256 KiB a body may have. */
export const MAX_TEXT_LENGTH = 256 * 1024;
