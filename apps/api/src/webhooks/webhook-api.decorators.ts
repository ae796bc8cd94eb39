import { ApiConflictResponse, ApiNotFoundResponse, ApiParam } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto';

/** OpenAPI documentation shared by the routes under /webhooks/{id}. */
export const WebhookIdParam = () =>
  ApiParam({ name: 'id', description: 'Unique webhook identifier (version 4 UUID)', format: 'uuid' });

export const WebhookNotFound = () =>
  ApiNotFoundResponse({
    description: 'No webhook with this id is owned by the caller (unknown, foreign or malformed id)',
    type: ErrorResponse,
    example: { code: 404, message: 'Webhook not found' },
  });

/** 409 for actions that send something: deliveries to an inactive webhook are dropped. */
export const WebhookInactive = (action: 'ping' | 'redeliver' | 'recover') =>
  ApiConflictResponse({
    description: `The webhook is inactive (\`active: false\`): nothing is sent to it, so a ${action} would be dropped. Activate it first.`,
    type: ErrorResponse,
    example: { code: 409, message: `Webhook is inactive: activate it to ${action}` },
  });
