import type { ValueTransformer } from 'typeorm';
import { SecretBox } from '@app/signing';

let box = new SecretBox();

/**
 * Sets the process's encryption keys (DatabaseModule does, from the config). A column transformer
 * is declared with the entity, before any config exists, so it reads them from here.
 */
export function useSecretBox(secretBox: SecretBox): void {
  box = secretBox;
}

export function secretBox(): SecretBox {
  return box;
}

/** `secret` and `previous_secret`: sealed on every write, opened on every read (SPEC §2). */
export const secretColumn: ValueTransformer = {
  to: (value: string | null | undefined) => (typeof value === 'string' ? box.seal(value) : value),
  from: (value: string | null) => (typeof value === 'string' ? box.open(value) : value),
};
