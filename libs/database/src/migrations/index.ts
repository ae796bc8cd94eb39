import { CreateWebhooks1764194400000 } from './1764194400000-CreateWebhooks';
import { CreateDeliveryPipeline1764198000000 } from './1764198000000-CreateDeliveryPipeline';

/** Every migration, in order. Listed explicitly so builds and tests never depend on file globs. */
export const MIGRATIONS = [CreateWebhooks1764194400000, CreateDeliveryPipeline1764198000000];
