import type { DataSource, ValueTransformer } from 'typeorm';
import type { SecretBox } from '@app/signing';

/** `secret` and `previous_secret` (SECRETS_ENCRYPTION_KEY): sealed on every write, opened on every read. */
export function secretColumnTransformer(box: SecretBox): ValueTransformer {
  return {
    to: (value: string | null | undefined) => (typeof value === 'string' ? box.seal(value) : value),
    from: (value: string | null) => (typeof value === 'string' ? box.open(value) : value),
  };
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

/**
 * Seals and opens `dataSource`'s secret columns with `box`. Column metadata belongs to one
 * DataSource, so two DataSources in one process (API and worker in a test) each keep their own keys.
 */
export function sealSecretColumns(dataSource: Pick<DataSource, 'entityMetadatas'>, box: SecretBox): void {
  const transformer = secretColumnTransformer(box);
  for (const metadata of dataSource.entityMetadatas) {
    for (const column of metadata.columns) {
      if (column.transformer === secretColumn) column.transformer = transformer;
    }
  }
}
