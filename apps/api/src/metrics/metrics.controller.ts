import { Controller, Get, Headers, NotFoundException, Res, UnauthorizedException } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { AppConfig } from '@app/config';
import { scrapeAllowed } from '@app/health';
import { Public } from '../auth/auth.decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { ApiMetrics } from './api-metrics';

@ApiTags('Operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: ApiMetrics,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text format); no user token',
    description:
      'event_api_http_requests_total{method,route,status}, event_api_http_request_duration_seconds{method,route}, and process metrics (event_api_process_*, event_api_nodejs_*). Collected at most once a second. With METRICS_TOKEN set, send it as `Authorization: Bearer <METRICS_TOKEN>` (else 401); with METRICS_PORT set, served on that port only (404 here).',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({
    description:
      'METRICS_TOKEN is set and the request does not carry it as `Authorization: Bearer <METRICS_TOKEN>`',
    // Its own media type: @ApiProduces names the 200's.
    content: {
      'application/json': {
        schema: { $ref: getSchemaPath(ErrorResponse) },
        example: { code: 401, message: 'Access denied' },
      },
    },
  })
  @ApiHeader({
    name: 'authorization',
    required: false,
    description: '`Bearer <METRICS_TOKEN>`, needed only when METRICS_TOKEN is set',
  })
  scrape(
    @Res({ passthrough: true }) response: Response,
    @Headers('authorization') authorization?: string,
  ): Promise<string> {
    if (this.config.metricsPort !== undefined) throw new NotFoundException();
    if (!scrapeAllowed(authorization, this.config.metricsToken)) throw new UnauthorizedException();
    // Set here, not with @Header: an error answer must keep its JSON content type.
    response.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return this.metrics.text();
  }
}
