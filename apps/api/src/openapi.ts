import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SCOPE_DESCRIPTIONS } from './auth/scopes';

const DESCRIPTION = `With the Event-API you can manage your webhooks. The ApiTree APIs use webhooks for event
notification: HTTP callbacks that receive notification messages for events, signed with the Standard Webhooks
scheme. They can be used to integrate ApiTree into systems like Slack. A webhook relates to an API or an
organization. Each user can create a maximum of 30 webhooks.

To access the API endpoints you need an API token with the OAuth scope \`webhook\` or \`webhook.readonly\`.
Every error has the shape \`{code, message}\`.`;

function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Event-API')
    .setDescription(DESCRIPTION)
    .setVersion('2.0.0')
    .addOAuth2(
      {
        type: 'oauth2',
        description:
          'Access token issued by the Auth-API (OAuth2 password flow), sent as `Authorization: Bearer <JWT>`',
        flows: { password: { tokenUrl: '/oauth/token', scopes: SCOPE_DESCRIPTIONS } },
      },
      'oauth2',
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /docs and the document at /openapi.json, both public. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
}
