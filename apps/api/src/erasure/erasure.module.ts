import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { ErasureController } from './erasure.controller';
import { ErasureService } from './erasure.service';

/** DELETE /users/{userId}/data (README → API → Erasure). */
@Module({
  controllers: [ErasureController],
  imports: [EntitlementsModule],
  providers: [ErasureService],
})
export class ErasureModule {}
