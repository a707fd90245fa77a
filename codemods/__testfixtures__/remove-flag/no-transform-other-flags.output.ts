import { features } from './config/features.js';
import { unusedHelper } from './helpers.js';

export function darkMode(): boolean {
  return features.darkMode === true;
}
