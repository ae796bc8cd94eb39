import { Module } from '@nestjs/common';
import { PortalController } from './portal.controller';
import { PortalSessions } from './portal-sessions.service';

/** The delivery dashboard under /portal (README → Portal); see configurePortal for its middleware. */
@Module({
  controllers: [PortalController],
  providers: [PortalSessions],
  exports: [PortalSessions],
})
export class PortalModule {}
