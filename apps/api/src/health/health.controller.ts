import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { HealthReport } from '@app/health';
import { HealthService } from './health.service';

@ApiTags('Operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Readiness: PostgreSQL and Redis reachable' })
  @ApiOkResponse({
    description:
      '`{status: "ok", checks: {database: "up", redis: "up"}}`; `database: "busy"` when PostgreSQL answers but every pooled connection is in use',
  })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down: `{status: "error", checks: {...}}`' })
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const report = await this.health.check();
    if (report.status !== 'ok') response.status(503);
    return report;
  }
}
