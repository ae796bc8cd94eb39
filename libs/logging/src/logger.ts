import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { maskUrlsInText } from '@app/netguard';

/** Header and field names that must never reach a log line. */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'secret',
  'token',
  '*.secret',
  '*.token',
];

/** How deep masking looks into a logged object: our log objects are flat, or nearly. */
const MASK_DEPTH = 3;

/** Strings with the credential parts of any URL in them masked (webhook URLs are credentials). */
function maskStrings(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskUrlsInText(value);
  if (depth >= MASK_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => maskStrings(item, depth + 1));
  // Plain objects only: pino serializes errors and the like itself.
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskStrings(item, depth + 1)]));
}

/**
 * Every line goes through the URL mask, message and fields alike (README → Security → Credential
 * URLs): a webhook URL or an error quoting one never reaches the log whole, whoever logged it.
 */
export function createLogger(level = 'info', name?: string): Logger {
  return pino({
    level,
    name,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { log: (object) => maskStrings(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === 'string' ? maskUrlsInText(arg) : arg));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** Routes Nest's own logging (bootstrap, exceptions) into the same JSON log stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, stringify(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, stringify(message));
  }

  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, stringify(message));
  }

  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, stringify(message));
  }

  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, stringify(message));
  }
}

function stringify(message: unknown): string {
  return typeof message === 'string' ? message : JSON.stringify(message);
}
