import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { startService } from '@event-cache/platform';
import type { AgentFeatures } from '../../src/agents/agent-features';
import { AppModule } from '../../src/app.module';
import { service } from '../../src/service';

/** The service booted on `databaseUrl` with this configuration file and these agents and refreshers. */
export async function startCachingAgents(
  databaseUrl: string,
  configYaml: string,
  features: AgentFeatures,
): Promise<{ app: INestApplication; baseUrl: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'caching-agents-'));
  writeFileSync(join(dir, 'config.yaml'), configYaml);
  const app = await startService(
    { ...service, module: (config) => AppModule.forRoot(config, features) },
    {
      DATABASE_URL: databaseUrl,
      EVENT_CACHE_CONFIG: join(dir, 'config.yaml'),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    },
  );
  return { app, baseUrl: await app.getUrl() };
}
