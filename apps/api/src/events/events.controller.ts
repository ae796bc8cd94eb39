import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiSchema, ApiTags } from '@nestjs/swagger';
import { EVENT_CATALOG, EVENT_NAMES } from '@app/events';
import { RequireScopes } from '../auth/auth.decorators';
import { Scope } from '../auth/scopes';
import { ApiCommonErrors } from '../common/api-errors.decorator';

@ApiSchema({ name: 'EventCatalogEntry' })
class EventCatalogEntryResponse {
  @ApiProperty({ description: 'Event name', enum: EVENT_NAMES, example: 'api.created' })
  name!: string;

  @ApiProperty({ description: 'What happened', example: 'An API was created.' })
  description!: string;

  @ApiProperty({ description: "Type of the event's `resource`", example: 'Api' })
  resourceType!: string;
}

@ApiTags('Events')
@ApiCommonErrors()
@Controller('events')
export class EventsController {
  @Get()
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({
    summary: 'Lists the event catalog',
    description:
      'Every event the platform emits. `webhook.ping` is sent only on request and cannot be subscribed to.',
  })
  @ApiOkResponse({ type: [EventCatalogEntryResponse] })
  list(): EventCatalogEntryResponse[] {
    return EVENT_CATALOG.map(({ name, description, resourceType }) => ({ name, description, resourceType }));
  }
}
