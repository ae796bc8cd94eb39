import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** 202 of POST /webhooks/{id}/ping and POST /webhooks/{id}/deliveries/{deliveryId}/redeliver. */
@ApiSchema({ name: 'QueuedDelivery' })
export class QueuedDeliveryResponse {
  @ApiProperty({
    description:
      'Identifier of the event being sent: the `webhook-id` header of the request the webhook receives, and `eventId` of its attempts in GET /webhooks/{id}/deliveries',
    example: '3b0e7c1a-5d2f-4c8e-9a61-7f4b2d9e0c35',
  })
  eventId!: string;

  @ApiProperty({
    description:
      'Identifier of the delivery (this event for this webhook) the attempt belongs to; each attempt it makes appears in GET /webhooks/{id}/deliveries',
    format: 'uuid',
    example: '8c6d1f0e-2a4b-4e3c-9d5f-1b7a0e6c2d48',
  })
  deliveryId!: string;
}

/** 200 of POST /webhooks/{id}/secret. */
@ApiSchema({ name: 'RotatedSecret' })
export class RotatedSecretResponse {
  @ApiProperty({
    description:
      'The new signing secret: `whsec_` + base64 of 32 random bytes; with `signing: ed25519`, the public key of the new key pair (`whpk_` + base64 of 32 bytes). The previous secret or key keeps signing alongside it for SECRET_ROTATION_OVERLAP (24h), so receivers can switch without losing deliveries.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwJ4s1dDm0Qk8=',
  })
  secret!: string;
}
