import Ajv, { ValidateFunction } from 'ajv';
import { EVENT_CATALOG, EventEnvelope, EventName, resourceSchemaOf } from '@app/events';

/** One warn line per (event, first error path) at most this often. */
export const SCHEMA_WARN_INTERVAL_MS = 60_000;
/** Bounds the memory of the warn limiter, whatever paths hostile resources produce. */
const MAX_REMEMBERED_WARNINGS = 1_000;

export interface SchemaMismatch {
  event: EventName;
  path: string;
  message: string;
}

/**
 * The worker's warn-only check of a published envelope (README → Event schemas): its resourceType and
 * resource against the catalog's schema for its event name. Validators are compiled once, at start-up.
 */
export class ResourceCheck {
  private readonly validators = new Map<EventName, ValidateFunction>();
  private readonly lastWarned = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {
    // Formats are annotations here: the check stays cheap, and a warning is no place for fine print.
    const ajv = new Ajv({ allowUnionTypes: true, validateFormats: false, allErrors: false });
    for (const { name, resourceType } of EVENT_CATALOG) {
      this.validators.set(
        name,
        ajv.compile({
          type: 'object',
          required: ['resourceType', 'resource'],
          properties: {
            resourceType: { const: resourceType },
            resource: resourceSchemaOf(name, resourceType),
          },
        }),
      );
    }
  }

  /** The first mismatch of this envelope, or undefined when it matches its schema. */
  check(envelope: EventEnvelope): SchemaMismatch | undefined {
    const validate = this.validators.get(envelope.name);
    if (!validate) return undefined;
    if (validate({ resourceType: envelope.resourceType, resource: envelope.resource })) return undefined;
    const error = validate.errors?.[0];
    // A missing property is named in the path, where a receiver would look for it.
    const missing = error?.keyword === 'required' ? `/${String(error.params.missingProperty)}` : '';
    return {
      event: envelope.name,
      path: `${error?.instancePath ?? ''}${missing}` || '/',
      message: error?.message ?? 'does not match the schema',
    };
  }

  /** Whether this mismatch is due a warn line: once per (event, path) per SCHEMA_WARN_INTERVAL_MS. */
  shouldWarn(mismatch: SchemaMismatch): boolean {
    const key = `${mismatch.event} ${mismatch.path}`;
    const now = this.now();
    const last = this.lastWarned.get(key);
    if (last !== undefined && now - last < SCHEMA_WARN_INTERVAL_MS) return false;
    if (this.lastWarned.size >= MAX_REMEMBERED_WARNINGS) this.lastWarned.clear();
    this.lastWarned.set(key, now);
    return true;
  }
}
