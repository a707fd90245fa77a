/**
 * Thresholds in k6's grammar plus windows, consecutive breaches and minimum samples: parse a file,
 * evaluate a Result into a Verdict, decide an early abort during a run. See docs/thresholds.md.
 */
export { applicableThresholds, type SkippedThreshold } from './applicable.js';
export { evaluateThreshold, evaluateThresholds, shouldAbort, type AbortDecision, type EvaluateOptions } from './evaluate.js';
export { compare, parseExpression, parseSelector, type MetricSelector, type ThresholdExpression, type ThresholdMethod, type ThresholdOperator } from './grammar.js';
export { defaultThresholdsFile, parseThresholds, readThresholdsFile, type ThresholdDefinition, type ThresholdSet } from './thresholds-file.js';
