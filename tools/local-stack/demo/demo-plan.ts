import type { AppConfig } from '@event-cache/platform';
import { DEMO_ACCOUNT } from './demo-estate';

/** The heartbeat rule the demo estate fires when the configuration names none. */
export const DEMO_HEARTBEAT_RULE = 'event-cache-heartbeat';

/**
 * The demo estate runs only when the configuration names no AWS account (the default of
 * `npm start`); with any account configured, the services cache those and nothing is simulated.
 */
export function demoWanted(config: Pick<AppConfig, 'accounts'>): boolean {
  return config.accounts.length === 0;
}

/**
 * The configuration the services get while the demo runs: the configuration file's own keys, plus
 * the demo account (`demo`, 000000000000, us-east-1, environment `demo`) and every AWS client
 * pointed at the estate's endpoint (`aws.endpoint`; per-service `aws.endpoints` cleared, they
 * would win over it). Refuses a configuration that names accounts.
 */
export function demoServicesConfig(
  file: Record<string, unknown>,
  endpointUrl: string,
): Record<string, unknown> {
  if (Array.isArray(file.accounts) && file.accounts.length > 0)
    throw new Error('the demo estate never runs with accounts configured');
  const aws = isObject(file.aws) ? file.aws : {};
  return {
    ...file,
    accounts: [
      {
        name: DEMO_ACCOUNT.name,
        accountId: DEMO_ACCOUNT.accountId,
        regions: [{ name: DEMO_ACCOUNT.region }],
        environment: 'demo',
      },
    ],
    aws: { ...aws, endpoint: endpointUrl, endpoints: {} },
  };
}

/** The heartbeat the estate fires: the first configured heartbeat rule (any name when none), every period. */
export function demoHeartbeat(config: Pick<AppConfig, 'events'>): { ruleName: string; periodMs: number } {
  const { ruleNames, periodSeconds } = config.events.heartbeat;
  return { ruleName: ruleNames[0] ?? DEMO_HEARTBEAT_RULE, periodMs: periodSeconds * 1_000 };
}

/**
 * The AWS SDK's own environment variables for the services while the demo runs: static,
 * obviously fake credentials (the estate checks no signature), so nothing looks for real ones.
 */
export const DEMO_CREDENTIALS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'AKIADEMOESTATE000000',
  AWS_SECRET_ACCESS_KEY: 'demo-estate-not-a-real-secret',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
