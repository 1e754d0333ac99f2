import { startService } from '@event-cache/platform';
import {
  bootForSuite,
  expectNotReadyWithPendingMigration,
  expectOperationalRoutes,
} from '@event-cache/testing';
import { service } from '../src/service';

describe('caching-agents (booted against PostgreSQL)', () => {
  const booted = bootForSuite((env) => startService(service, env));

  it('serves liveness, readiness with the database up, metrics and its OpenAPI document', async () => {
    await expectOperationalRoutes(booted.baseUrl);
  });

  it('reports not ready while a migration is pending', async () => {
    await expectNotReadyWithPendingMigration(booted);
  });
});
