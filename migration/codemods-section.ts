/**
 * The `codemods` section of `wsmig.config.json`: the codemods' own schema (codemods/config.ts),
 * embedded so that one file configures the whole migration. Three of its fields are not set here
 * but taken from the migration's own fields, so that each fact lives in one place:
 * `featuresModule` ← `flag.featuresFile`, `flagKey` ← `flag.featuresKey`, `legacyModules` ← `legacyFiles`.
 */
import { codemodsConfigSchema, type CodemodsConfig } from '../codemods/config.js';

export const codemodsSectionSchema = codemodsConfigSchema
  .omit({ featuresModule: true, flagKey: true, legacyModules: true })
  .prefault({})
  .describe('The codemods\' settings (docs/codemods.md): project wrappers, event names, endpoints, client import. featuresModule, flagKey and legacyModules come from flag.featuresFile, flag.featuresKey and legacyFiles.');

/** The full codemods config for a migration config: the section plus the fields taken from the migration's own. */
export function codemodsConfigOf(config: { codemods: Omit<CodemodsConfig, 'featuresModule' | 'flagKey' | 'legacyModules'>; flag: { featuresFile: string; featuresKey: string }; legacyFiles: string[] }): CodemodsConfig {
  return { ...config.codemods, featuresModule: config.flag.featuresFile, flagKey: config.flag.featuresKey, legacyModules: config.legacyFiles };
}
