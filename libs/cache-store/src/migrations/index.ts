import { InitialSchema1763800000000 } from './1763800000000-InitialSchema';

/** Every migration, in order, listed explicitly (globs break once bundled). */
export const MIGRATIONS = [InitialSchema1763800000000];
