import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RecoverController } from './recover.controller';
import { RecoverService } from './recover.service';

/** POST /webhooks/{id}/recover (README → API → Recovering failed deliveries). */
@Module({
  imports: [EntitlementsModule, RateLimitModule],
  controllers: [RecoverController],
  providers: [RecoverService],
})
export class RecoverModule {}
