import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'Ed25519Jwk', description: 'A public Ed25519 key as a JWK (RFC 8037)' })
export class Ed25519JwkResponse {
  @ApiProperty({ description: 'Key type: octet key pair', enum: ['OKP'], example: 'OKP' })
  kty!: 'OKP';

  @ApiProperty({ description: 'Curve', enum: ['Ed25519'], example: 'Ed25519' })
  crv!: 'Ed25519';

  @ApiProperty({
    description: 'The 32-byte public key, base64url without padding',
    pattern: '^[A-Za-z0-9_-]{43}$',
    example: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  })
  x!: string;

  @ApiProperty({
    description: 'Key id: the RFC 7638 thumbprint of the key (base64url SHA-256)',
    example: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
  })
  kid!: string;

  @ApiProperty({ description: 'Use: signatures', enum: ['sig'], example: 'sig' })
  use!: 'sig';

  @ApiProperty({ description: 'Algorithm (RFC 8037)', enum: ['EdDSA'], example: 'EdDSA' })
  alg!: 'EdDSA';
}

@ApiSchema({
  name: 'WebhookJwks',
  description:
    'The public keys that sign the deliveries of a webhook with `signing: ed25519` (a JWK Set, RFC 7517), newest first',
})
export class JwksResponse {
  @ApiProperty({
    description:
      'The current key, and while a rotated-out key still signs (SECRET_ROTATION_OVERLAP) that one too. A `v1a,` signature verifies with one of them.',
    type: [Ed25519JwkResponse],
    minItems: 1,
    maxItems: 2,
  })
  keys!: Ed25519JwkResponse[];
}
