import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  ExampleObject,
  OpenAPIObject,
  RequestBodyObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { AppConfig } from '@app/config';
import { SCOPE_DESCRIPTIONS } from '../auth/scopes';
import { RECOVER_EXAMPLE_NAME, RECOVER_EXAMPLE_PATH, recoverExample } from '../recover/recover-example';
import { deliveryCallbacks } from './delivery-callbacks';
import { EventSchema } from './event.schema';

const DESCRIPTION = `With the Event-API you can manage your webhooks. The ApiTree APIs use webhooks for event
notification: HTTP callbacks that receive notification messages for events, signed with the Standard Webhooks
scheme. They can be used to integrate ApiTree into systems like Slack. A webhook relates to an API or an
organization. Each user can create a maximum of 30 webhooks.

To access the API endpoints you need an API token with the OAuth scope \`webhook\` or \`webhook.readonly\`:
choose **Authorize** and paste a JWT (\`bearer\`), or sign in with the Auth-API (\`oauth2\`). Every error has
the shape \`{code, message}\`. What your URL receives is under **Callbacks** of \`POST /webhooks\` (one per event).`;

const BEARER_DESCRIPTION = `A JWT issued by the Auth-API, sent as \`Authorization: Bearer <JWT>\`; paste it without
the \`Bearer\` prefix. Locally, \`npm run token -- --sub 10123 --scope webhook\` prints one. Scopes (claim
\`scope\`): \`webhook\` (view and manage webhooks), \`webhook.readonly\` (view webhooks, secrets omitted).`;

function buildOpenApiDocument(app: INestApplication, authTokenUrl: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Event-API')
    .setDescription(DESCRIPTION)
    .setVersion('2.0.0')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: BEARER_DESCRIPTION },
      'bearer',
    )
    .addOAuth2(
      {
        type: 'oauth2',
        description:
          'OAuth2 password flow of the Auth-API (AUTH_API_TOKEN_URL); the token is sent as a bearer JWT',
        flows: { password: { tokenUrl: authTokenUrl, scopes: SCOPE_DESCRIPTIONS } },
      },
      'oauth2',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [EventSchema] });
  document.paths['/webhooks'].post!.callbacks = deliveryCallbacks();
  return strictlyNullable(document);
}

type SchemaNode = Record<string, unknown>;

/**
 * OpenAPI 3.0.3 lets `nullable` add null only to a `type` stated beside it, and an `enum` must list
 * null itself: the generator's `nullable` on a reference (`type: object, allOf: [$ref]`) or an enum would read as
 * "never null" to a strict validator, and generated clients would refuse real answers. Each such
 * schema is rewritten to say null where the API sends it.
 */
function strictlyNullable<T>(node: T): T {
  if (Array.isArray(node)) return node.map(strictlyNullable) as T;
  if (node === null || typeof node !== 'object') return node;
  const schema: SchemaNode = {};
  for (const [key, value] of Object.entries(node as SchemaNode)) {
    schema[key] = key === 'example' || key === 'examples' ? value : strictlyNullable(value);
  }
  if (schema.nullable !== true) return schema as T;
  const { enum: values, allOf } = schema as { enum?: unknown[]; allOf?: unknown[] };
  if (values && !values.includes(null)) schema.enum = [...values, null];
  if (allOf) {
    const { nullable: _nullable, type: _type, allOf: _allOf, ...rest } = schema;
    return { ...rest, anyOf: [...allOf, { type: 'object', nullable: true, enum: [null] }] } as T;
  }
  return schema as T;
}

/**
 * The document as served now: examples that hold a date relative to the present (the recover window)
 * are computed at each request, so that they are accepted when sent as they are however long the API
 * has been running. The built document is left as it is.
 */
function withCurrentExamples(document: OpenAPIObject, now: number, retentionMs: number): OpenAPIObject {
  const media = (document.paths[RECOVER_EXAMPLE_PATH]?.post?.requestBody as RequestBodyObject | undefined)
    ?.content['application/json'];
  const example = media?.examples?.[RECOVER_EXAMPLE_NAME] as ExampleObject | undefined;
  if (!media?.examples || !example) return document;
  const served = { ...document, paths: { ...document.paths } };
  const pathItem = served.paths[RECOVER_EXAMPLE_PATH];
  const requestBody = pathItem.post!.requestBody as RequestBodyObject;
  served.paths[RECOVER_EXAMPLE_PATH] = {
    ...pathItem,
    post: {
      ...pathItem.post!,
      requestBody: {
        ...requestBody,
        content: {
          ...requestBody.content,
          'application/json': {
            ...media,
            examples: {
              ...media.examples,
              [RECOVER_EXAMPLE_NAME]: { ...example, value: recoverExample(now, retentionMs) },
            },
          },
        },
      },
    },
  };
  return served;
}

/** Swagger UI at /docs and the document at /openapi.json, both public. */
export function setupOpenApi(app: INestApplication): void {
  const { authTokenUrl, deliveryLogRetentionMs } = app.get(AppConfig);
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app, authTokenUrl), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    patchDocumentOnRequest: (_request, _response, document) =>
      withCurrentExamples(document, Date.now(), deliveryLogRetentionMs),
    // A pasted token survives a reload of the page.
    swaggerOptions: { persistAuthorization: true },
  });
}
