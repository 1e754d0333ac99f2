export * from './cache-record';
export { toCacheAttributes } from '@event-cache/events';
export * from './caching-agent';
export * from './targeted-refresher';
export * from './ports';
export { type Clock, systemClock } from './runtime/clock';
export { isThrottlingError, describeError } from './runtime/throttling';
export { explainRefreshFailure, type RefreshFailure } from './runtime/refresh-failure';
export {
  type PollingPolicy,
  type SchedulerOptions,
  type RefreshWorkerOptions,
  type AgentLogger,
  DEFAULT_SCHEDULER_OPTIONS,
  DEFAULT_REFRESH_WORKER_OPTIONS,
  silentLogger,
} from './runtime/runtime-options';
export {
  IntervalPolicy,
  formatDuration,
  type IntervalDecision,
  type IntervalInput,
} from './runtime/interval.policy';
export { AgentCatalog, AgentRegistrationError, type AgentEntry } from './runtime/agent-catalog';
export { type MetricsRegistry, noopMetrics, type RunOutcome } from './runtime/agents.metrics';
export { AgentScheduler } from './runtime/agent-scheduler';
export { runCachingAgent, type AgentRunOptions, type RunReport } from './runtime/agent-runner';
export { RefreshWorker } from './runtime/refresh-worker';
export { toRefreshItem } from './runtime/refresh-items';
export { ScheduleTuner } from './runtime/schedule-tuner';
export { RunPhases, nextRunAt } from './runtime/run-phases';
export { Permits } from './runtime/permits';
export { AgentRuntime, type AgentRuntimeOptions, type AgentPorts } from './runtime/agent-runtime';
export * from './caching-agents.module';
export { InMemoryAgentStore } from './testing/in-memory-agent-store';
export { VirtualClock } from './testing/virtual-clock';
