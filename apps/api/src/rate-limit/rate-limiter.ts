import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { WindowBudget } from '@app/budget';

export type { RateLimitDecision } from '@app/budget';

/** RATE_LIMIT: requests per user per window, under `QUEUE_PREFIX:rate-limit:<sub>` (see WindowBudget). */
@Injectable()
export class RateLimiter extends WindowBudget {
  constructor(@Inject(AppConfig) config: AppConfig) {
    super(config, config.rateLimit, 'rate-limit');
  }
}
