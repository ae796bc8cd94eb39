import { Module } from '@nestjs/common';
import { CoreApiClient } from '../core-api/core-api.client';
import { WebhookActionsService } from './webhook-actions.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookActionsService, CoreApiClient],
})
export class WebhooksModule {}
