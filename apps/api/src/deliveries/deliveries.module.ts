import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesService } from './deliveries.service';
import { DeliveryStatsController } from './delivery-stats.controller';
import { DeliveryStatsService } from './delivery-stats.service';

@Module({
  imports: [EntitlementsModule, RateLimitModule],
  controllers: [DeliveriesController, DeliveryStatsController],
  providers: [DeliveriesService, DeliveryStatsService],
})
export class DeliveriesModule {}
