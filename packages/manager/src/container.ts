import 'reflect-metadata';
import { type DependencyContainer, type InjectionToken, instanceCachingFactory } from 'tsyringe';
import { WebSocketManagerFactory } from './factory';
import type { WebSocketManagerOptions } from './options';

/** Container token of the options the factory is built with. */
export const WEB_SOCKET_MANAGER_OPTIONS: InjectionToken<WebSocketManagerOptions> = Symbol('agentwire.WebSocketManagerOptions');

/**
 * Registers WebSocketManagerFactory in a tsyringe container: one factory per container
 * (built on first resolve, with `options`), so each gateway or test has its own state.
 * Resolve it with `container.resolve(WebSocketManagerFactory)`; shut it down with the container's owner.
 */
export function registerWebSocketManagerFactory(container: DependencyContainer, options: WebSocketManagerOptions = {}): DependencyContainer {
  container.register(WEB_SOCKET_MANAGER_OPTIONS, { useValue: options });
  container.register(WebSocketManagerFactory, {
    useFactory: instanceCachingFactory((resolver) => new WebSocketManagerFactory(resolver.resolve(WEB_SOCKET_MANAGER_OPTIONS))),
  });
  return container;
}
