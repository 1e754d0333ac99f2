import type { Provider } from '@nestjs/common';
import { AccountDirectory, type DecisionContext, systemClock } from '@event-cache/events';
import { APP_CONFIG, type AppConfig } from '@event-cache/platform';

/** Injection token of the DecisionContext built from the accounts and heartbeat config. */
export const DECISION_CONTEXT = Symbol('DECISION_CONTEXT');

export const decisionContextProvider: Provider = {
  provide: DECISION_CONTEXT,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig): DecisionContext => ({
    accounts: new AccountDirectory(config.accounts),
    clock: systemClock,
    heartbeat: {
      // 0 = the library's default period (60 s).
      ...(config.events.heartbeat.periodSeconds > 0
        ? { periodMs: config.events.heartbeat.periodSeconds * 1000 }
        : {}),
      toleratedMisses: config.events.heartbeat.toleratedMisses,
      ...(config.events.heartbeat.ruleNames.length > 0
        ? { ruleNames: config.events.heartbeat.ruleNames }
        : {}),
    },
  }),
};
