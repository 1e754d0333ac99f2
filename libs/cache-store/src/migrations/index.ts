import { InitialSchema1763800000000 } from './1763800000000-InitialSchema';
import { ClouddriverOperationRoutes1795326037653 } from './1795326037653-ClouddriverOperationRoutes';

/** Every migration, in order, listed explicitly (globs break once bundled). */
export const MIGRATIONS = [InitialSchema1763800000000, ClouddriverOperationRoutes1795326037653];
