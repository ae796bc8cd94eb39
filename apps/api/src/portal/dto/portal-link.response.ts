import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'PortalLink', description: 'A one-time link that signs a browser in to the portal' })
export class PortalLinkResponse {
  @ApiProperty({
    description:
      'Open once in a browser within 15 minutes: it signs the browser in to the portal (a session cookie) and ' +
      'shows the dashboard. It holds a one-time token: hand it only to the user it was minted for.',
    example: 'https://events.apitree.com/portal/login?token=hV3q1d0mP6bYV0k2m1zq9Q5v3Yw8rT4uJ7eX2cL6nA0',
  })
  url!: string;

  @ApiProperty({
    description: 'When the link stops working: 15 minutes from now, or the bearer token’s expiry if sooner',
    example: '2026-12-03T20:15:00.000Z',
    format: 'date-time',
  })
  expiresAt!: string;
}

export class PortalSessionResponse {
  @ApiProperty({ example: { id: '10123', nickname: 'ada' } })
  user!: { id: string; nickname: string | null };

  @ApiProperty({ type: [String], example: ['org-1'] })
  orgs!: string[];

  @ApiProperty({ type: [String], example: ['webhook'] })
  scopes!: string[];

  @ApiProperty({ description: 'Send in x-csrf-token on every state-changing portal request' })
  csrfToken!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}
