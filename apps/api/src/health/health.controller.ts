import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { HealthReport } from '@app/health';
import { HealthResponse } from './health.response';
import { HealthService } from './health.service';

@ApiTags('Operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Public()
  @HttpCode(200)
  @ApiOperation({ operationId: 'getHealth', summary: 'Readiness: PostgreSQL and Redis reachable' })
  @ApiOkResponse({
    description: 'PostgreSQL and Redis answer (a busy database counts: it answers)',
    type: HealthResponse,
    examples: {
      up: { summary: 'Both up', value: { status: 'ok', checks: { database: 'up', redis: 'up' } } },
      busy: {
        summary: 'Every pooled connection in use',
        value: { status: 'ok', checks: { database: 'busy', redis: 'up' } },
      },
    },
  })
  @ApiServiceUnavailableResponse({
    description: 'A dependency does not answer',
    type: HealthResponse,
    example: { status: 'error', checks: { database: 'up', redis: 'down' } },
  })
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const report = await this.health.check();
    if (report.status !== 'ok') response.status(503);
    return report;
  }
}
