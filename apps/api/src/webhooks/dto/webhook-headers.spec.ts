import { webhookHeaderErrors } from './webhook-headers';

/** The reserved names of custom headers (README → API → Webhook fields): the rule its message states. */
describe('webhookHeaderErrors: reserved names', () => {
  it.each([
    'Host',
    'Content-Type',
    'content-length',
    'Content-Encoding',
    'CONTENT-MD5',
    'Content-Language',
    'Content-Disposition',
    'Transfer-Encoding',
    'Connection',
    'Keep-Alive',
    'TE',
    'User-Agent',
    'webhook',
    'Webhook',
    'Webhook-Signature',
    'x-apitree',
    'X-ApiTree',
    'X-APITREE-Event',
  ])('refuses %s, naming the header and the rule', (name) => {
    const errors = webhookHeaderErrors({ [name]: 'v' });
    expect(errors).toEqual([
      {
        field: `headers.${name}`,
        message: `headers.${name} is reserved: host, content-*, connection and other hop-by-hop headers, user-agent, webhook and webhook-*, x-apitree and x-apitree-* are set by ApiTree`,
      },
    ]);
  });

  it.each(['Authorization', 'X-Api-Key', 'X-ApiTreeish', 'Webhooks', 'X-Content-Type-Options', 'Contents'])(
    'accepts %s',
    (name) => {
      expect(webhookHeaderErrors({ [name]: 'v' })).toEqual([]);
    },
  );
});
