/** Environment variables the global setup hands to test workers. */
export const TEST_ADMIN_URL_ENV = 'EVENT_CACHE_TEST_ADMIN_URL';
export const TEST_TEMPLATE_ENV = 'EVENT_CACHE_TEST_TEMPLATE';

export function testAdminUrl(): string {
  const url = process.env[TEST_ADMIN_URL_ENV];
  if (!url)
    throw new Error(`${TEST_ADMIN_URL_ENV} is not set: integration tests run through the Jest global setup`);
  return url;
}

export function testTemplate(): string {
  return process.env[TEST_TEMPLATE_ENV] ?? 'event_cache_template';
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
