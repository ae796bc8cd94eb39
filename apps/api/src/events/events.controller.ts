import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiSchema,
  ApiTags,
} from '@nestjs/swagger';
import { EVENT_CATALOG_ENTRIES, EVENT_NAMES, findEventCatalogEntry } from '@app/events';
import { RequireScopes } from '../auth/auth.decorators';
import { Scope } from '../auth/scopes';
import { ApiCommonErrors } from '../common/api-errors.decorator';
import { ErrorResponse } from '../common/error-response.dto';

const API_CREATED = EVENT_CATALOG_ENTRIES[0];

@ApiSchema({
  name: 'EventType',
  description: 'An event of the catalog: its name, its resource and the schema of its body',
})
class EventTypeResponse {
  @ApiProperty({ description: 'Event name', enum: EVENT_NAMES, example: 'api.created' })
  name!: string;

  @ApiProperty({ description: 'What happened', example: 'An API was created.' })
  description!: string;

  @ApiProperty({ description: "Type of the event's `resource`", example: 'Api' })
  resourceType!: string;

  @ApiProperty({
    description:
      'JSON Schema (draft-07) of the Event body as delivered. Resources are open objects: new properties may appear.',
    type: 'object',
    additionalProperties: true,
    example: API_CREATED.schema,
  })
  schema!: Record<string, unknown>;

  @ApiProperty({
    description: 'An example Event body that validates against `schema`',
    type: 'object',
    additionalProperties: true,
    example: API_CREATED.example,
  })
  example!: Record<string, unknown>;
}

@ApiTags('Events')
@ApiCommonErrors()
@Controller('events')
export class EventsController {
  @Get()
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({
    operationId: 'listEvents',
    summary: 'Lists the event catalog',
    description:
      'Every event the platform emits, with the JSON Schema of its body and an example. `webhook.ping` is sent only on request and cannot be subscribed to.',
  })
  @ApiOkResponse({ type: [EventTypeResponse] })
  list(): EventTypeResponse[] {
    return [...EVENT_CATALOG_ENTRIES];
  }

  @Get(':name')
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({
    operationId: 'getEvent',
    summary: 'One event of the catalog, with its JSON Schema and an example',
  })
  @ApiParam({ name: 'name', description: 'Event name', example: 'api.created' })
  @ApiOkResponse({ type: EventTypeResponse })
  @ApiNotFoundResponse({
    description: 'No event of that name',
    type: ErrorResponse,
    example: { code: 404, message: 'Event not found' },
  })
  get(@Param('name') name: string): EventTypeResponse {
    const entry = findEventCatalogEntry(name);
    if (!entry) throw new NotFoundException('Event not found');
    return entry;
  }
}
