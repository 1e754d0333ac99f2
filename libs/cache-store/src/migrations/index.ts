import { InitialSchema1763800000000 } from './1763800000000-InitialSchema';
import { ClouddriverOperationRoutes1795326037653 } from './1795326037653-ClouddriverOperationRoutes';
import { AgentScheduleSeenAt1796493428458 } from './1796493428458-AgentScheduleSeenAt';
import { CachedResourceSeenByRun1796501069115 } from './1796501069115-CachedResourceSeenByRun';

/** Every migration, in order, listed explicitly (globs break once bundled). */
export const MIGRATIONS = [
  InitialSchema1763800000000,
  ClouddriverOperationRoutes1795326037653,
  AgentScheduleSeenAt1796493428458,
  CachedResourceSeenByRun1796501069115,
];
