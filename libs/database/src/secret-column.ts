import type { DataSource, ValueTransformer } from 'typeorm';
import type { SecretBox } from '@app/signing';

/** `secret` and `previous_secret` (SECRETS_ENCRYPTION_KEY): sealed on every write, opened on every read. */
export function secretColumnTransformer(box: SecretBox): ValueTransformer {
  return {
    to: (value: string | null | undefined) => (typeof value === 'string' ? box.seal(value) : value),
    from: (value: string | null) => (typeof value === 'string' ? box.open(value) : value),
  };
}

/** Custom headers (`headers`): a name → value map, stored as its JSON sealed like a secret. */
export function sealedHeadersTransformer(box: SecretBox): ValueTransformer {
  return {
    to: (value: Record<string, string> | null | undefined) =>
      value === undefined ? value : value === null ? null : box.seal(JSON.stringify(value)),
    from: (value: string | null) => (typeof value === 'string' ? openHeaders(box, value) : null),
  };
}

/** A stored `headers` value → the map (also for rows read with plain SQL, as the worker does). */
export function openHeaders(box: SecretBox, stored: string): Record<string, string> {
  return JSON.parse(box.open(stored)) as Record<string, string>;
}

function unsealed(): never {
  throw new Error('webhook secrets read or written on a DataSource without sealSecretColumns');
}

/**
 * Marks the secret columns on the entity. An entity is declared before any config exists, so the
 * keys cannot be here: sealSecretColumns gives each DataSource its own box, and a DataSource that
 * was given none refuses secrets rather than storing them in plain text.
 */
export const secretColumn: ValueTransformer = { to: unsealed, from: unsealed };

/** Marks the sealed custom-headers column, as secretColumn marks the secrets. */
export const sealedHeadersColumn: ValueTransformer = { to: unsealed, from: unsealed };

/**
 * Seals and opens `dataSource`'s secret columns with `box`. Column metadata belongs to one
 * DataSource, so two DataSources in one process (API and worker in a test) each keep their own keys.
 */
export function sealSecretColumns(dataSource: Pick<DataSource, 'entityMetadatas'>, box: SecretBox): void {
  const transformer = secretColumnTransformer(box);
  const headers = sealedHeadersTransformer(box);
  for (const metadata of dataSource.entityMetadatas) {
    for (const column of metadata.columns) {
      if (column.transformer === secretColumn) column.transformer = transformer;
      else if (column.transformer === sealedHeadersColumn) column.transformer = headers;
    }
  }
}
