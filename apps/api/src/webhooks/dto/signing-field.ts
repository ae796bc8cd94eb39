import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { SIGNING_ALGORITHMS } from '@app/signing';

export const SIGNING_DESCRIPTION =
  'How deliveries are signed (README → Receiving webhooks): `hmac-sha256` (default; `v1,` signatures with the shared `whsec_` secret) or `ed25519` (`v1a,` signatures; receivers verify with the public keys of GET /webhooks/{id}/jwks or the `whpk_` key shown as `secret`, and hold nothing secret). Changing it on PUT switches to a new key of the new kind; the old secret or key keeps signing alongside for SECRET_ROTATION_OVERLAP, as after POST /webhooks/{id}/secret.';

const SIGNING_RULE = `signing must be one of: ${SIGNING_ALGORITHMS.join(', ')}`;

/** `signing` in POST and PUT bodies. */
export const SigningField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      enum: SIGNING_ALGORITHMS,
      description: SIGNING_DESCRIPTION,
      example: 'ed25519',
    }),
    IsIn(SIGNING_ALGORITHMS, { message: SIGNING_RULE }),
  );
