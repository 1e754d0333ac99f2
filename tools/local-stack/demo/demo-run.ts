import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AppConfig } from '@event-cache/platform';
import { answer } from './demo-api';
import { DemoEstate } from './demo-estate';
import { EventSender } from './demo-events';
import { demoHeartbeat, demoServicesConfig } from './demo-plan';
import { type AwsEndpoint, startAwsEndpoint } from './demo-server';

export interface DemoRun {
  estate: DemoEstate;
  endpoint: AwsEndpoint;
  sender: EventSender;
  /** The services' configuration file: the configured one plus the demo account and endpoint. */
  configFile: string;
  /** Starts the changes and heartbeats (once gate-endpoint can take their events). */
  start(): void;
  /** Stops the changes and the events. */
  stop(): void;
  /** Closes the endpoint (after the services are gone). */
  close(): Promise<void>;
}

export interface DemoRunOptions {
  /** The configuration as loaded (no accounts), and its file's own keys. */
  config: Pick<AppConfig, 'events'>;
  file: Record<string, unknown>;
  dataDir: string;
  /** gate-endpoint, where the estate's EventBridge events go (`POST /events`). */
  gateUrl: string;
  eventsApiKey: string;
  log(line: string): void;
  stepMs?: number;
  /** The estate's clock (tests); `Date.now` by default. */
  now?: () => number;
}

/**
 * The demo estate of `npm start` in this process: the estate, its AWS endpoint on the loopback
 * interface, the services' configuration pointing at it (written to `<dataDir>/demo.config.yaml`)
 * and the events it sends to gate-endpoint's API-destination door.
 */
export async function startDemoRun(options: DemoRunOptions): Promise<DemoRun> {
  const sender = new EventSender({
    gateUrl: options.gateUrl,
    apiKeyHeader: options.config.events.apiKeyHeader,
    apiKey: options.eventsApiKey,
    log: (line) => options.log(line),
  });
  const estate = new DemoEstate({
    emit: (event) => sender.send(event),
    log: (line) => options.log(line),
    heartbeat: demoHeartbeat(options.config),
    stepMs: options.stepMs,
    now: options.now,
  });
  const endpoint = await startAwsEndpoint((operation, input) => answer(estate, operation, input));
  const configFile = join(options.dataDir, 'demo.config.yaml');
  writeFileSync(
    configFile,
    '# Written by npm start for the demo estate (no accounts configured): the configuration file plus\n' +
      '# the demo account and its AWS endpoint. Edit tools/local-stack/local.config.yaml (or EVENT_CACHE_CONFIG) instead.\n' +
      stringify(demoServicesConfig(options.file, endpoint.url)),
    { mode: 0o600 },
  );
  let started = false;
  return {
    estate,
    endpoint,
    sender,
    configFile,
    start: () => {
      if (started) return;
      started = true;
      estate.start();
    },
    stop: () => {
      estate.stop();
      sender.stop();
    },
    close: () => endpoint.close(),
  };
}
