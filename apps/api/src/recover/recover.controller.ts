import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { RequireScopes } from '../auth/auth.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { ApiBodyErrors, ApiCommonErrors, ApiDatabaseBusy } from '../common/api-errors.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { WebhookIdParam, WebhookInactive, WebhookNotFound } from '../webhooks/webhook-api.decorators';
import { RecoverDto } from './dto/recover.dto';
import { RECOVER_EXAMPLE_NAME, recoverExample } from './recover-example';
import { RecoverResponse } from './dto/recover.response';
import { RECOVER_MAX, RECOVER_PER_SECOND, RecoverService } from './recover.service';

/** Computed again each time the document is served (openapi.ts): this one is the module's load time's. */
const RECOVER_EXAMPLE = recoverExample(Date.now(), Number.POSITIVE_INFINITY);

@ApiTags('Deliveries')
@ApiCommonErrors()
@ApiDatabaseBusy()
@Controller('webhooks/:id')
export class RecoverController {
  constructor(private readonly recovery: RecoverService) {}

  @Post('recover')
  @HttpCode(202)
  @RequireScopes(Scope.Webhook)
  @ApiOperation({
    operationId: 'recoverDeliveries',
    summary: 'Sends the failed deliveries of a time window again',
    description:
      `Every delivery of this webhook that ended failed (its retries used up) within [since, until) becomes pending again and is sent once more, the oldest first, through the normal delivery path: the webhook's rateLimit, its circuit and the fair scheduler apply, and at most ${RECOVER_PER_SECOND} a second are queued. ` +
      'Each keeps its `webhook-id`; its new attempt appears in GET /webhooks/{id}/deliveries numbered after the old ones, and a delivery that fails again can be recovered again. ' +
      'On a webhook with `ordering: "fifo"` they rejoin its line in publish order instead and are sent one at a time. ' +
      `A delivery being sent again is not failed, so the same window asked for twice sends nothing twice. One call recovers at most ${RECOVER_MAX} deliveries and at most what is left of ACTION_DELIVERY_LIMIT: call again with the same window until it answers 0.`,
  })
  @WebhookIdParam()
  @ApiBody({
    type: RecoverDto,
    examples: {
      [RECOVER_EXAMPLE_NAME]: { summary: 'A six-hour outage, just over', value: RECOVER_EXAMPLE },
    },
  })
  @ApiBodyErrors()
  @ApiAcceptedResponse({ description: 'The deliveries are pending again', type: RecoverResponse })
  @ApiBadRequestResponse({
    description:
      'Malformed JSON, an unknown field, `since` missing, a date-time that is not ISO 8601 with a real calendar date and a time zone, `since` not before `until` (or now), or `since` older than DELIVERY_LOG_RETENTION; `errors` names the field',
    type: ErrorResponse,
    example: {
      code: 400,
      message: 'since must be before until (and before now)',
      errors: [{ field: 'until', message: 'since must be before until (and before now)' }],
    },
  })
  @WebhookNotFound()
  @WebhookInactive('recover')
  @ApiTooManyRequestsResponse({
    description:
      'RATE_LIMIT exceeded, or nothing is left of ACTION_DELIVERY_LIMIT (each recovered delivery counts as one); see Retry-After',
    type: ErrorResponse,
    example: {
      code: 429,
      message:
        'Too many deliveries caused by your own actions: at most 300 per 60 s (webhook.* events to your webhooks, pings, redeliveries, recovers); none left to recover; retry in 12 s',
    },
  })
  async recover(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: RecoverDto,
  ): Promise<RecoverResponse> {
    return { deliveries: await this.recovery.recover(principal, id, body) };
  }
}
