import { parseDuration } from './duration';

/** A configuration error; its message is the one line printed before the process exits. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** Reads one variable at a time, each with its rule; a bad value throws a ConfigError naming it. */
export class EnvReader {
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  /** One of `choices`, compared without regard to case (LOG_LEVEL=Debug means debug). */
  oneOf<T extends string>(name: string, fallback: T, choices: readonly T[]): T {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const value = choices.find((choice) => choice === text.toLowerCase());
    if (value === undefined) {
      throw new ConfigError(name, `must be one of ${choices.join(', ')}, got "${text}"`);
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${text}"`);
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const text = this.raw(name)?.toLowerCase();
    if (text === undefined) return fallback;
    if (['true', '1', 'yes'].includes(text)) return true;
    if (['false', '0', 'no'].includes(text)) return false;
    throw new ConfigError(name, `must be true or false, got "${this.raw(name)}"`);
  }

  duration(name: string, fallback: string, minMs = 1): number {
    const text = this.raw(name) ?? fallback;
    const ms = parseDuration(text);
    if (ms === undefined || ms < minMs) {
      throw new ConfigError(name, `must be a duration like 200ms, 5s, 5m, 2h, 5d, got "${text}"`);
    }
    return ms;
  }

  durationList(name: string, fallback: string): number[] {
    const text = this.raw(name) ?? fallback;
    const parts = text.split(',').map((part) => part.trim());
    const values = parts.map((part) => parseDuration(part));
    if (parts.length === 0 || values.some((ms) => ms === undefined)) {
      throw new ConfigError(
        name,
        `must be a comma-separated list of durations like 5s,5m,30m, got "${text}"`,
      );
    }
    return values as number[];
  }

  url(name: string, fallback: string | undefined, protocols: string[]): string | undefined {
    const text = this.raw(name) ?? fallback;
    if (text === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(name, `must be an absolute URL, got "${redactUrl(text)}"`);
    }
    if (!protocols.includes(url.protocol)) {
      throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${url.protocol}"`);
    }
    return text;
  }
}

export function redactUrl(text: string): string {
  return text.replace(/\/\/[^@/]*@/, '//***@');
}
