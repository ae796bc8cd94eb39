import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '@app/config';
import { DEFAULT_JWKS_TIMINGS, JWKS_TIMINGS, JwksKeySet, JwksTimings } from './jwks-key-set';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { ScopesGuard } from './scopes.guard';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { RateLimitModule } from '../rate-limit/rate-limit.module';

@Module({
  imports: [PassportModule.register({ session: false }), RateLimitModule],
  providers: [
    { provide: JWKS_TIMINGS, useValue: DEFAULT_JWKS_TIMINGS },
    {
      // Only with JWT_JWKS_URI; the other key modes need no key set (the strategy gets null).
      provide: JwksKeySet,
      inject: [AppConfig, JWKS_TIMINGS],
      useFactory: (config: AppConfig, timings: JwksTimings) =>
        config.jwt.jwksUri === undefined ? null : new JwksKeySet(config.jwt.jwksUri, timings),
    },
    JwtStrategy,
    // Order matters: authenticate first, then count the request against its user, then check scopes.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: ScopesGuard },
  ],
})
export class AuthModule {}
