import { CreateWebhooks1764194400000 } from './1764194400000-CreateWebhooks';
import { CreateDeliveryPipeline1764198000000 } from './1764198000000-CreateDeliveryPipeline';
import { GroupCommitPipeline1764806400000 } from './1764806400000-GroupCommitPipeline';
import { FairDelivery1764979200000 } from './1764979200000-FairDelivery';
import { MembershipDisabledReason1765238400000 } from './1765238400000-MembershipDisabledReason';
import { UnprovenEndpoints1765324800000 } from './1765324800000-UnprovenEndpoints';
import { WebhookHeaders1765411200000 } from './1765411200000-WebhookHeaders';
import { WebhookFilter1765497600000 } from './1765497600000-WebhookFilter';
import { FifoOrdering1765584000000 } from './1765584000000-FifoOrdering';
import { Ed25519Signing1765670400000 } from './1765670400000-Ed25519Signing';
import { FailureCount1765756800000 } from './1765756800000-FailureCount';
import { RecoverFailedDeliveries1765843200000 } from './1765843200000-RecoverFailedDeliveries';
import { PortalSessions1765929600000 } from './1765929600000-PortalSessions';
import { AttemptRequests1766102400000 } from './1766102400000-AttemptRequests';
import { ErasureByOwner1766188800000 } from './1766188800000-ErasureByOwner';
import { DeliveryExhaustedOnce1766275200000 } from './1766275200000-DeliveryExhaustedOnce';

/** Every migration, in order. Listed explicitly so builds and tests never depend on file globs. */
export const MIGRATIONS = [
  CreateWebhooks1764194400000,
  CreateDeliveryPipeline1764198000000,
  GroupCommitPipeline1764806400000,
  FairDelivery1764979200000,
  MembershipDisabledReason1765238400000,
  UnprovenEndpoints1765324800000,
  WebhookHeaders1765411200000,
  WebhookFilter1765497600000,
  FifoOrdering1765584000000,
  Ed25519Signing1765670400000,
  FailureCount1765756800000,
  RecoverFailedDeliveries1765843200000,
  PortalSessions1765929600000,
  AttemptRequests1766102400000,
  ErasureByOwner1766188800000,
  DeliveryExhaustedOnce1766275200000,
];
