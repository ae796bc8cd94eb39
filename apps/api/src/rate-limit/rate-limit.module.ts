import { Module } from '@nestjs/common';
import { ActionBudget } from './action-budget';
import { RateLimiter } from './rate-limiter';

/** The per-user budgets kept in Redis: requests (RATE_LIMIT) and deliveries caused (ACTION_DELIVERY_LIMIT). */
@Module({ providers: [RateLimiter, ActionBudget], exports: [RateLimiter, ActionBudget] })
export class RateLimitModule {}
