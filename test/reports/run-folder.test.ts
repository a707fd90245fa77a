import { describe, expect, it } from 'vitest';
import { runFolderName } from '../../reports/run-folder.js';
import { sampleResult } from './sample-result.js';

describe('run folder names', () => {
  it('sort by start time and name the scenarios, safe for any filesystem', () => {
    const result = sampleResult();
    expect(runFolderName(result)).toBe('2026-01-15T10-20-30Z-latency');
    expect(runFolderName({ ...result, scenarios: [...result.scenarios, { ...result.scenarios[0]!, name: 'reconnect/storm: 2' }] })).toBe('2026-01-15T10-20-30Z-latency+reconnect-storm-2');
  });
});
