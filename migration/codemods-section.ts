/**
 * The `codemods` section of `wsmig.config.json`: the codemods' own schema (codemods/config.ts),
 * embedded so that one file configures the whole migration.
 */
import { z } from 'zod';

export const codemodsSectionSchema = z.looseObject({}).prefault({});
