/** Public API of the local Functions + Durable host. */
export { ManualClock, SystemClock } from './clock';
export type { HostClock } from './clock';
export { installCoreModule } from './coreModule';
export { DurableEngine, DurableEngineError } from './durable/engine';
export type { ActivityRun, DurableEngineOptions, InstanceOpResult, StatusPayload } from './durable/engine';
export { MemoryStore } from './durable/memoryStore';
export { SqliteStore } from './durable/sqliteStore';
export type {
  DurableStore,
  HistoryEvent,
  InstanceFilter,
  InstanceRecord,
  RuntimeStatus,
} from './durable/types';
export { createTestHost, DEFAULT_FUNCTION_KEY, DEFAULT_PORT, startHost } from './host';
export type { RunningHost, StartHostOptions, TestHost, TestHostOptions } from './host';
export { DURABLE_BASE_PATH } from './server';
export { loadLocalSettings } from './settings';
export { nextOccurrence, parseNcrontab, startTimers } from './timers';
export type { Ncrontab, TimerRun, TimerRunner } from './timers';
