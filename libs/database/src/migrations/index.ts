import { CreateWebhooks1764194400000 } from './1764194400000-CreateWebhooks';
import { CreateDeliveryPipeline1764198000000 } from './1764198000000-CreateDeliveryPipeline';
import { GroupCommitPipeline1764806400000 } from './1764806400000-GroupCommitPipeline';
import { FairDelivery1764979200000 } from './1764979200000-FairDelivery';
import { MembershipDisabledReason1765238400000 } from './1765238400000-MembershipDisabledReason';
import { UnprovenEndpoints1765324800000 } from './1765324800000-UnprovenEndpoints';
import { WebhookHeaders1765411200000 } from './1765411200000-WebhookHeaders';
import { PortalSessions1765929600000 } from './1765929600000-PortalSessions';

/** Every migration, in order. Listed explicitly so builds and tests never depend on file globs. */
export const MIGRATIONS = [
  CreateWebhooks1764194400000,
  CreateDeliveryPipeline1764198000000,
  GroupCommitPipeline1764806400000,
  FairDelivery1764979200000,
  MembershipDisabledReason1765238400000,
  UnprovenEndpoints1765324800000,
  WebhookHeaders1765411200000,
  PortalSessions1765929600000,
];
