import { isStorableText } from '@app/text';
import type { FieldError } from './error-response.dto';

/** Deeper JSON is a 400, refused before anything recursive (validation, whitelisting) walks it. */
export const MAX_JSON_DEPTH = 32;

/**
 * Names no DTO has but every object inherits: class-validator's whitelist looks them up through the
 * prototype and lets them pass, so they are refused here like any other unknown field.
 */
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/**
 * The first problem in a parsed JSON body or query, or null. Iterative (a 2,000-level body
 * must not overflow the stack): nesting over MAX_JSON_DEPTH, a field named like an Object.prototype
 * member, text PostgreSQL cannot store (NUL, lone UTF-16 surrogates) in a key or a value.
 */
export function findHostileInput(root: unknown): FieldError | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === 'string') {
      if (!isStorableText(value)) {
        return { field: path, message: `${path || 'value'} must not contain NUL or unpaired surrogates` };
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      return { field: path, message: `request is nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, path: join(path, index), depth: depth + 1 }));
      continue;
    }
    for (const key of Object.keys(value)) {
      const field = join(path, key);
      if (!isStorableText(key)) {
        return { field: join(path, '?'), message: 'field names must not contain NUL or unpaired surrogates' };
      }
      if (PROTOTYPE_NAMES.has(key)) return { field, message: `property ${field} should not exist` };
      stack.push({ value: (value as Record<string, unknown>)[key], path: field, depth: depth + 1 });
    }
  }
  return null;
}
