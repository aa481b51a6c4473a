import { REDIS_DEFAULTS } from '@agentwirejs/backplane-redis';
import { SETTINGS, type SettingName } from '@agentwirejs/config';
import { TRACKER_DEFAULTS } from '@agentwirejs/execution-tracker';
import { MANAGER_DEFAULTS } from '@agentwirejs/manager';
import { REPLAY_WINDOW_DEFAULTS } from '@agentwirejs/protocols';

/** The constants a setting's `defaultFrom` may name, by package and name. */
const CONSTANTS: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>> = {
  '@agentwirejs/protocols': { REPLAY_WINDOW_DEFAULTS },
  '@agentwirejs/manager': { MANAGER_DEFAULTS },
  '@agentwirejs/execution-tracker': { TRACKER_DEFAULTS },
  '@agentwirejs/backplane-redis': { REDIS_DEFAULTS },
};

/** A setting's `defaultFrom` (`<package> <CONSTANT>.<field>`), taken apart and resolved to the package's value. */
export interface PackageDefault {
  readonly packageName: string;
  readonly constant: string;
  readonly field: string;
  readonly value: unknown;
}

/** The settings whose default a package defines, with that default as the package exports it. */
export function packageDefaults(): ReadonlyMap<SettingName, PackageDefault> {
  const found = new Map<SettingName, PackageDefault>();
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    if (!('defaultFrom' in setting)) continue;
    const match = /^(\S+) ([A-Z_]+)\.([A-Za-z]+)$/.exec(setting.defaultFrom);
    if (match === null) throw new Error(`${name}: defaultFrom ${setting.defaultFrom} is not "<package> <CONSTANT>.<field>"`);
    const [, packageName = '', constant = '', field = ''] = match;
    found.set(name, { packageName, constant, field, value: CONSTANTS[packageName]?.[constant]?.[field] });
  }
  return found;
}
