import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../auth/auth.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { ApiCommonErrors, ApiDatabaseBusy } from '../common/api-errors.decorator';
import { WebhookIdParam, WebhookNotFound } from '../webhooks/webhook-api.decorators';
import { DeliveryStatsService } from './delivery-stats.service';
import { DeliveryStatsResponse } from './dto/delivery-stats.response';

const hour = (hoursAgo: number, succeeded: number, failed: number) => ({
  hour: new Date(Date.UTC(2026, 11, 3, 19 - hoursAgo)).toISOString(),
  succeeded,
  failed,
});

@ApiTags('Deliveries')
@ApiCommonErrors()
@ApiDatabaseBusy()
@Controller('webhooks/:id/stats')
export class DeliveryStatsController {
  constructor(private readonly stats: DeliveryStatsService) {}

  @Get()
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({
    operationId: 'getDeliveryStats',
    summary: 'Counts a webhook’s successful and failed delivery attempts per hour, for the last 24 hours',
    description:
      'From the delivery log (GET /webhooks/{id}/deliveries): 24 whole UTC hours, oldest first, the last being the current hour so far. Every attempt counts, retries and redeliveries included.',
  })
  @WebhookIdParam()
  @ApiOkResponse({
    type: DeliveryStatsResponse,
    example: {
      hours: Array.from({ length: 24 }, (_, index) =>
        index === 21 ? hour(2, 40, 6) : index === 23 ? hour(0, 12, 0) : hour(23 - index, 0, 0),
      ),
    },
  })
  @WebhookNotFound()
  lastDay(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DeliveryStatsResponse> {
    return this.stats.lastDay(principal, id);
  }
}
