import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AppConfig, AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { QueryWithoutParametersInterceptor } from './common/query-without-parameters.interceptor';
import { createValidationPipe } from './common/validation.pipe';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { ErasureModule } from './erasure/erasure.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { PortalModule } from './portal/portal.module';
import { QueueModule } from './queue/queue.module';
import { RecoverModule } from './recover/recover.module';
import { JwksModule } from './signing-keys/jwks.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot('api'),
        QueueModule,
        AuthModule,
        WebhooksModule,
        DeliveriesModule,
        ErasureModule,
        RecoverModule,
        EventsModule,
        HealthModule,
        MetricsModule,
        JwksModule,
        PortalModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: QueryWithoutParametersInterceptor },
      ],
    };
  }
}
