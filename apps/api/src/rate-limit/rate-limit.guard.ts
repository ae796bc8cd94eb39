import { CanActivate, ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Principal } from '../auth/principal';
import { RateLimiter } from './rate-limiter';

/**
 * Global, after authentication (README → API → Rate limits): every authenticated request counts against its
 * user's budget. Answers carry the IETF `RateLimit-*` headers; a refusal is a 429 with `Retry-After`. Public
 * routes (health, metrics, docs) and requests refused as unauthenticated do not count.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(private readonly limiter: RateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.limiter.enabled) return true;
    const http = context.switchToHttp();
    const principal = http.getRequest<Request & { user?: Principal }>().user;
    if (!principal) return true;
    const decision = await this.limiter.consume(principal.id);
    const response = http.getResponse<Response>();
    response.setHeader('RateLimit-Policy', decision.policy);
    response.setHeader('RateLimit-Limit', String(decision.limit));
    response.setHeader('RateLimit-Remaining', String(decision.remaining));
    response.setHeader('RateLimit-Reset', String(decision.resetSeconds));
    if (!decision.allowed) {
      response.setHeader('Retry-After', String(decision.resetSeconds));
      throw new HttpException(
        `Rate limit exceeded: at most ${decision.limit} requests per ${decision.windowSeconds} s; retry in ${decision.resetSeconds} s`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    return true;
  }
}
