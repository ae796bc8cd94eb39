import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RequireScopes } from '../auth/auth.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { ApiCommonErrors, ApiDatabaseBusy, DATABASE_BUSY } from '../common/api-errors.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { QueuedDeliveryResponse } from '../webhooks/dto/webhook-actions.response';
import { WebhookIdParam, WebhookNotFound } from '../webhooks/webhook-api.decorators';
import { DeliveriesService, EVENT_ERASED_MESSAGE } from './deliveries.service';
import { presentDeliveryAttempt, presentDeliveryAttemptDetail } from './delivery-attempt.presenter';
import { DeliveryAttemptDetailResponse } from './dto/delivery-attempt-detail.response';
import { DeliveryAttemptPageResponse } from './dto/delivery-attempt.response';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';

@ApiTags('Deliveries')
@ApiCommonErrors()
@ApiDatabaseBusy()
@Controller('webhooks/:id/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({
    operationId: 'listDeliveries',
    summary: 'Gets the delivery log of a webhook',
    description:
      'Every delivery attempt (first attempts, retries, redeliveries, pings), newest first, one page at a time: pass `nextCursor` back as `cursor` until it is null. The filters combine with AND. Attempts are kept for DELIVERY_LOG_RETENTION (30 days). For tokens with only webhook.readonly, credential parts of the webhook URL are masked in `response` and `error`.',
  })
  @WebhookIdParam()
  @ApiOkResponse({ type: DeliveryAttemptPageResponse })
  @ApiBadRequestResponse({
    description:
      'A query parameter is invalid (limit, cursor, success, eventName) or unknown; `errors` names it',
    type: ErrorResponse,
    example: {
      code: 400,
      message: 'limit must be an integer from 1 to 100',
      errors: [{ field: 'limit', message: 'limit must be an integer from 1 to 100' }],
    },
  })
  @WebhookNotFound()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: ListDeliveriesQuery,
  ): Promise<DeliveryAttemptPageResponse> {
    const page = await this.deliveries.list(principal, id, query);
    // Managers see what was recorded; webhook.readonly the same with the URL's credential masked.
    const maskFor = principal.scopes.has(Scope.Webhook) ? undefined : page.url;
    return {
      items: page.items.map((attempt) => presentDeliveryAttempt(attempt, maskFor)),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':attemptId')
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({
    operationId: 'getDelivery',
    summary: 'Gets one attempt of the delivery log with its request',
    description:
      "The attempt as GET /webhooks/{id}/deliveries lists it, plus the request it sent: method, URL (credential parts masked), headers as sent (the values of the webhook's custom headers shown as `••••`, for every token) and body. `request.headers` and `request.url` are null for attempts made before requests were recorded;",
  })
  @WebhookIdParam()
  @ApiParam({
    name: 'attemptId',
    description: 'An attempt `id` from GET /webhooks/{id}/deliveries (version 4 UUID)',
    format: 'uuid',
  })
  @ApiOkResponse({ type: DeliveryAttemptDetailResponse })
  @ApiNotFoundResponse({
    description:
      'No webhook with this id is owned by the caller (`Webhook not found`), or the webhook has no attempt with this id (`Delivery not found`): unknown, foreign or malformed ids alike',
    type: ErrorResponse,
    examples: {
      webhook: { summary: 'Unknown webhook', value: { code: 404, message: 'Webhook not found' } },
      delivery: { summary: 'Unknown attempt', value: { code: 404, message: 'Delivery not found' } },
    },
  })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('attemptId') attemptId: string,
  ): Promise<DeliveryAttemptDetailResponse> {
    const detail = await this.deliveries.get(principal, id, attemptId);
    const maskFor = principal.scopes.has(Scope.Webhook) ? undefined : detail.url;
    return presentDeliveryAttemptDetail(detail.attempt, detail.body, maskFor);
  }

  @Post(':deliveryId/redeliver')
  @HttpCode(202)
  @RequireScopes(Scope.Webhook)
  @ApiOperation({
    operationId: 'redeliver',
    summary: 'Redelivers an event to a webhook',
    description:
      'Sends the event of a logged attempt again, now, as one extra attempt: the same body and the same `webhook-id` header (receivers deduplicate on it), signed afresh. A retry still scheduled for it is not affected. The new attempt appears in the delivery log.',
  })
  @WebhookIdParam()
  @ApiParam({
    name: 'deliveryId',
    description: 'An attempt `id` from GET /webhooks/{id}/deliveries (version 4 UUID)',
    format: 'uuid',
  })
  @ApiAcceptedResponse({ description: 'The redelivery is queued', type: QueuedDeliveryResponse })
  @ApiNotFoundResponse({
    description:
      'No webhook with this id is owned by the caller (`Webhook not found`), or the webhook has no attempt with this id (`Delivery not found`): unknown, foreign or malformed ids alike',
    type: ErrorResponse,
    examples: {
      webhook: { summary: 'Unknown webhook', value: { code: 404, message: 'Webhook not found' } },
      delivery: { summary: 'Unknown attempt', value: { code: 404, message: 'Delivery not found' } },
    },
  })
  @ApiConflictResponse({
    description:
      "The webhook is inactive (`active: false`): nothing is sent to it, so a redelivery would be dropped (activate it first); or the attempt's event was erased by DELETE /users/{userId}/data, and an erased event is never sent again",
    type: ErrorResponse,
    examples: {
      inactive: {
        summary: 'Inactive webhook',
        value: { code: 409, message: 'Webhook is inactive: activate it to redeliver' },
      },
      erased: { summary: 'Erased event', value: { code: 409, message: EVENT_ERASED_MESSAGE } },
    },
  })
  @ApiServiceUnavailableResponse({
    description: `The delivery queue cannot be reached right now; nothing was queued. Or: ${DATABASE_BUSY}`,
    type: ErrorResponse,
    example: { code: 503, message: 'Delivery queue unavailable, try again later' },
  })
  async redeliver(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<QueuedDeliveryResponse> {
    return this.deliveries.redeliver(principal, id, deliveryId);
  }
}
