import { ConnectionState, WebSocketManagerMode, canTransition, isActiveState } from './index';

describe('ConnectionState', () => {
  it('has exactly the five documented states', () => {
    expect(Object.values(ConnectionState).sort()).toEqual(['closed', 'closing', 'connected', 'connecting', 'failed']);
  });

  it('allows only forward moves; closed is terminal', () => {
    for (const to of Object.values(ConnectionState)) expect(canTransition(ConnectionState.Closed, to)).toBe(false);
    expect(canTransition(ConnectionState.Connected, ConnectionState.Connecting)).toBe(false);
    expect(canTransition(ConnectionState.Failed, ConnectionState.Closed)).toBe(true);
    expect(isActiveState(ConnectionState.Closing)).toBe(false);
  });
});

describe('WebSocketManagerMode', () => {
  it('defines unified and isolated only', () => {
    expect(Object.values(WebSocketManagerMode).sort()).toEqual(['isolated', 'unified']);
  });
});
