import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
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
  // A webhook's custom header values are often the receiver's credentials.
  'headers.*',
  '*.headers.*',
];

/** How deep masking looks into a logged object: our log objects are flat, or nearly. */
const MASK_DEPTH = 3;

/** Strings with the credential parts of any URL in them masked (webhook URLs are credentials). */
function maskStrings(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskUrlsInText(value);
  if (depth >= MASK_DEPTH || typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return maskError(value, depth);
  if (Array.isArray(value)) return value.map((item) => maskStrings(item, depth + 1));
  // Plain objects only: other classes are left to pino's serializers.
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskStrings(item, depth + 1)]));
}

/** A copy of the error (same class, so pino serializes it as one) with its texts masked. */
function maskError(error: Error, depth = 0): Error {
  const copy = Object.assign(
    Object.create(Object.getPrototypeOf(error) as object) as Error,
    maskStrings({ ...error }, depth + 1),
  );
  copy.message = maskUrlsInText(error.message);
  if (error.stack !== undefined) copy.stack = maskUrlsInText(error.stack);
  return copy;
}

function maskArgument(arg: unknown): unknown {
  if (typeof arg === 'string') return maskUrlsInText(arg);
  // pino takes a lone error's message as the line's msg before any formatter sees it.
  return arg instanceof Error ? maskError(arg) : arg;
}

/**
 * Every line goes through the URL mask, message and fields alike (README → Security → Credential
 * URLs): a webhook URL or an error quoting one never reaches the log whole, whoever logged it.
 */
export function createLogger(level = 'info', name?: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    name,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { log: (object) => maskStrings(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map(maskArgument) as Parameters<typeof method>);
      },
    },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Nest's own start-up narration (modules loaded, routes mapped, application started): useful when
 * debugging the wiring, noise otherwise, so it logs at debug; each process says once at info where it listens.
 */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'NestApplication',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
]);

/** Routes Nest's own logging (bootstrap, exceptions) into the same JSON log stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    if (context !== undefined && FRAMEWORK_CONTEXTS.has(context))
      this.logger.debug({ context }, stringify(message));
    else this.logger.info({ context }, stringify(message));
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
