import type { Db } from '../../db/database.js';
import { SETTING_DEFAULTS } from './domain/defaults.js';

export type SettingsService = {
  /** The string value of `key`: the stored row, else the default, else null. */
  get(key: string): Promise<string | null>;
  /** `get` parsed as a boolean ("true" only). */
  getBoolean(key: string): Promise<boolean>;
};

export function createSettingsService(db: Db): SettingsService {
  const get = async (key: string) => {
    const row = await db.setting.findUnique({ where: { key }, select: { value: true } });
    return row?.value ?? SETTING_DEFAULTS[key] ?? null;
  };
  return {
    get,
    async getBoolean(key) {
      return (await get(key)) === 'true';
    },
  };
}
