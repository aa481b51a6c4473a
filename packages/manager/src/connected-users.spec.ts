import type { UserId } from '@agentwirejs/types';
import { type Rig, contextFor, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;

describe('getConnectedUsers (an operator view of who is connected)', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.dispose();
  });

  it('lists every user with an open connection and how many, bounded by limit while total counts them all', async () => {
    rig = await startRig();
    const first = await rig.connect(rig.unified, 'ada');
    await rig.connect(rig.unified, 'ada');
    await rig.connect(rig.factory.createManager(contextFor('bea')), 'bea');
    const sorted = (users: { userId: UserId; connections: number }[]) => [...users].sort((a, b) => a.userId.localeCompare(b.userId));

    const all = rig.unified.getConnectedUsers();
    expect(all.total).toBe(2);
    expect(sorted(all.users)).toEqual([
      { userId: uid('ada'), connections: 2 },
      { userId: uid('bea'), connections: 1 },
    ]);
    expect(rig.unified.getConnectedUsers(1)).toEqual({ users: [expect.objectContaining({ connections: expect.any(Number) })], total: 2 });

    await rig.unified.removeConnection(first.connectionId);
    expect(sorted(rig.unified.getConnectedUsers().users)).toEqual([
      { userId: uid('ada'), connections: 1 },
      { userId: uid('bea'), connections: 1 },
    ]);
  });

  it('shows a user-bound manager only its own user', async () => {
    rig = await startRig();
    await rig.connect(rig.unified, 'ada');
    const bea = rig.factory.createManager(contextFor('bea'));
    expect(bea.getConnectedUsers()).toEqual({ users: [], total: 0 });
    await rig.connect(bea, 'bea');
    expect(bea.getConnectedUsers()).toEqual({ users: [{ userId: uid('bea'), connections: 1 }], total: 1 });
  });
});
