import { CreateWebhooks1764194400000 } from './1764194400000-CreateWebhooks';
import { CreateDeliveryPipeline1764198000000 } from './1764198000000-CreateDeliveryPipeline';
import { GroupCommitPipeline1764806400000 } from './1764806400000-GroupCommitPipeline';

/** Every migration, in order. Listed explicitly so builds and tests never depend on file globs. */
export const MIGRATIONS = [
  CreateWebhooks1764194400000,
  CreateDeliveryPipeline1764198000000,
  GroupCommitPipeline1764806400000,
];
