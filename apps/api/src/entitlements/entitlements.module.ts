import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CoreApiClient } from './core-api.client';
import { Entitlements } from './entitlements.service';
import { LostMemberships } from './lost-membership';
import { MembershipInterceptor } from './membership.interceptor';

@Module({
  providers: [
    CoreApiClient,
    Entitlements,
    LostMemberships,
    { provide: APP_INTERCEPTOR, useClass: MembershipInterceptor },
  ],
  exports: [Entitlements],
})
export class EntitlementsModule {}
