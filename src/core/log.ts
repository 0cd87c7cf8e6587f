/** Structured logging with fixed keys, so every line of a release can be found by its id. */

/** The fixed keys of every log line; anything else goes under `data`. */
export interface LogFields {
  releaseId?: string;
  target?: string;
  phase?: string;
  slot?: string;
  data?: Record<string, unknown>;
}

/** A structured logger. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Where formatted lines go: the Functions context's log methods, or the console. */
export interface LogSink {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

/** Renders one JSON line; keys in a fixed order so lines are easy to scan and query. */
export function formatLine(level: string, message: string, fields: LogFields = {}): string {
  const { releaseId, target, phase, slot, data } = fields;
  return JSON.stringify({ level, message, releaseId, target, phase, slot, ...(data ? { data } : {}) });
}

/** A logger writing JSON lines to a sink. */
export function createLogger(sink: LogSink = console): Logger {
  return {
    info: (m, f) => sink.info(formatLine('info', m, f)),
    warn: (m, f) => sink.warn(formatLine('warn', m, f)),
    error: (m, f) => sink.error(formatLine('error', m, f)),
  };
}
