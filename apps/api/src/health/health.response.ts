import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { CheckState, HealthReport } from '@app/health';

@ApiSchema({ name: 'HealthChecks' })
class HealthChecksResponse {
  @ApiProperty({
    description:
      'PostgreSQL: `up`; `busy` when it answers but every pooled connection of this process is in use (still healthy); `down` when it does not answer within 2 s',
    enum: ['up', 'busy', 'down'],
    example: 'up',
  })
  database!: CheckState;

  @ApiProperty({
    description: 'Redis: `up`, or `down` when it does not answer within 2 s',
    enum: ['up', 'down'],
    example: 'up',
  })
  redis!: CheckState;
}

/** GET /health, for load balancers and orchestrators (the worker answers the same on WORKER_PORT). */
@ApiSchema({ name: 'Health' })
export class HealthResponse implements HealthReport {
  @ApiProperty({
    description: '`ok` (200) when both dependencies answer, `error` (503) otherwise',
    enum: ['ok', 'error'],
    example: 'ok',
  })
  status!: 'ok' | 'error';

  @ApiProperty({ description: 'The state of each dependency', type: HealthChecksResponse })
  checks!: HealthChecksResponse;
}
