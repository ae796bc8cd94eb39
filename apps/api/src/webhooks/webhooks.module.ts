import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { WebhookActionsService } from './webhook-actions.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  controllers: [WebhooksController],
  imports: [EntitlementsModule, RateLimitModule],
  providers: [WebhooksService, WebhookActionsService],
})
export class WebhooksModule {}
