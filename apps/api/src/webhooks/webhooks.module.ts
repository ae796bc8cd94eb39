import { Module } from '@nestjs/common';
import { CoreApiClient } from '../core-api/core-api.client';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  controllers: [WebhooksController],
  providers: [WebhooksService, CoreApiClient],
})
export class WebhooksModule {}
