import type { DynamicModule, INestApplication } from '@nestjs/common';
import { ConfigError, loadConfig } from '../config/config.loader';
import type { AppConfig, ServiceName } from '../config/config.schema';
import { type HttpServiceOptions, startHttpService } from './bootstrap-http';

export type ServiceConfig = AppConfig & { database: { url: string } };

export interface ServiceDefinition extends Omit<HttpServiceOptions, 'module' | 'config'> {
  name: ServiceName;
  /** Builds the root module from the validated configuration. */
  module: (config: ServiceConfig) => DynamicModule;
}

/** Loads and validates configuration from `env`, then starts the service; resolves once it listens. */
export async function startService(
  definition: ServiceDefinition,
  env: Record<string, string | undefined> = process.env,
): Promise<INestApplication> {
  const config = requireDatabase(loadConfig(definition.name, env));
  return startHttpService({ ...definition, module: definition.module(config), config });
}

/**
 * A service's whole `main`: a bad configuration value stops the process with the field's name
 * (exit code 78, EX_CONFIG); any other start-up failure exits 1.
 */
export async function runService(definition: ServiceDefinition): Promise<void> {
  try {
    await startService(definition);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${definition.name}: ${e.message}\n`);
      process.exit(78);
    }
    process.stderr.write(
      `${definition.name} failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(1);
  }
}

function requireDatabase(config: AppConfig): ServiceConfig {
  const url = config.database.url;
  if (!url)
    throw new ConfigError([
      'database.url: required (set DATABASE_URL, or use `npm start` for a local database)',
    ]);
  return { ...config, database: { ...config.database, url } };
}
