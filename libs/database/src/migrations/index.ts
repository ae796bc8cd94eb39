import { CreateWebhooks1764194400000 } from './1764194400000-CreateWebhooks';

/** Every migration, in order. Listed explicitly so builds and tests never depend on file globs. */
export const MIGRATIONS = [CreateWebhooks1764194400000];
