import { Module } from '@nestjs/common';
import { ApiMetrics } from './api-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics-listener';

@Module({ controllers: [MetricsController], providers: [ApiMetrics, MetricsListener], exports: [ApiMetrics] })
export class MetricsModule {}
