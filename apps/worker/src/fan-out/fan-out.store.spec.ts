import { SYSTEM_USER } from '@app/outbox';
import { actorOtherThanOwner } from './fan-out.store';

describe('actorOtherThanOwner: the user an erasure finds an event by, besides its owner', () => {
  it('is the user who acted for someone else', () => {
    expect(actorOtherThanOwner({ name: 'api.created', user: { id: 'member-1' }, ownerId: 'org-1' })).toBe(
      'member-1',
    );
  });

  it('is none when the owner acted (found by its owner already)', () => {
    expect(actorOtherThanOwner({ name: 'api.created', user: { id: 'u-1' }, ownerId: 'u-1' })).toBeNull();
  });

  it("is none for the service's own events, so erasing a user named `system` erases none of them", () => {
    for (const name of ['webhook.disabled', 'webhook.failing', 'delivery.exhausted'] as const) {
      expect(actorOtherThanOwner({ name, user: SYSTEM_USER, ownerId: 'u-1' })).toBeNull();
    }
  });

  it('is a publisher that names itself `system` on a platform event: that id is kept', () => {
    expect(actorOtherThanOwner({ name: 'api.created', user: { id: 'system' }, ownerId: 'u-1' })).toBe(
      'system',
    );
  });
});
