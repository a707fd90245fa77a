/**
 * k6's threshold grammar, parsed the way k6 parses it (metrics/thresholds_parser.go, metric.go):
 *
 * ```
 * expression  -> method " "* operator " "* number
 * method      -> "avg" | "min" | "max" | "med" | "count" | "rate" | "value" | "p(" number ")"
 * operator    -> "<=" | "<" | ">=" | ">" | "===" | "==" | "!="     (the first found, in this order)
 * selector    -> name | name "{" tag ":" value ("," tag ":" value)* "}"
 * ```
 * Methods fit metric types as in k6: counter `count`/`rate`, gauge `value`, rate `rate`,
 * trend `avg`/`min`/`max`/`med`/`p(N)`.
 */
import type { MetricType } from '../result/types.js';

export type ThresholdMethod = 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | 'value' | 'percentile';
export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

/** A parsed `method operator number`. */
export interface ThresholdExpression {
  method: ThresholdMethod;
  /** For `p(N)`: N (0–100); null otherwise. */
  percentile: number | null;
  operator: ThresholdOperator;
  value: number;
}

/** Why an expression or selector did not parse (the caller adds the file and metric). */
export class GrammarError extends Error {
  override name = 'GrammarError';
}

// Order matters, as in k6: a longer operator must be tried before its prefix.
const OPERATORS: readonly ThresholdOperator[] = ['<=', '<', '>=', '>', '===', '==', '!='];
const KEYWORDS = ['avg', 'min', 'max', 'med', 'count', 'rate', 'value'] as const;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Methods each metric type supports, in k6's words. */
export const METHODS_BY_TYPE: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p(N)'],
};

/** Whether `method` can be applied to a metric of `type`. */
export function methodFitsType(method: ThresholdMethod, type: MetricType): boolean {
  const name = method === 'percentile' ? 'p(N)' : method;
  return METHODS_BY_TYPE[type].includes(name);
}

/** The method as written in an expression: `p(99)`, `avg`. */
export function methodText(expression: Pick<ThresholdExpression, 'method' | 'percentile'>): string {
  return expression.method === 'percentile' ? `p(${expression.percentile})` : expression.method;
}

/**
 * Parses `method operator number`, e.g. `p(99) < 250`, `rate>0.99`, `count==0`.
 * @throws GrammarError saying what is wrong.
 */
export function parseExpression(text: string): ThresholdExpression {
  let found: { left: string; operator: ThresholdOperator; right: string } | undefined;
  for (const operator of OPERATORS) {
    const at = text.indexOf(operator);
    if (at !== -1) {
      found = { left: text.slice(0, at).trim(), operator, right: text.slice(at + operator.length).trim() };
      break;
    }
  }
  if (found === undefined || found.left === '' || found.right === '') {
    throw new GrammarError(`"${text}" is not "method operator number" (e.g. "p(99)<250"; operators: < <= > >= == === !=)`);
  }
  if (!NUMBER.test(found.right)) {
    throw new GrammarError(`"${text}" is not "method operator number": "${found.right}" is not a number`);
  }
  const value = Number(found.right);
  const method = found.left;
  if ((KEYWORDS as readonly string[]).includes(method)) {
    return { method: method as ThresholdMethod, percentile: null, operator: found.operator, value };
  }
  if (method.startsWith('p(') && method.endsWith(')')) {
    const inner = method.slice(2, -1).trim();
    const percentile = Number(inner);
    if (!NUMBER.test(inner) || percentile < 0 || percentile > 100) {
      throw new GrammarError(`"${text}": "${method}" is not a percentile: use p(N) with 0 ≤ N ≤ 100, e.g. p(99) or p(99.9)`);
    }
    return { method: 'percentile', percentile, operator: found.operator, value };
  }
  throw new GrammarError(`"${text}": unknown method "${method}" (use avg, min, max, med, p(N), count, rate or value)`);
}

/** Compares an observed value with the expression's number, as k6 does (`===` is `==` for numbers). */
export function compare(observed: number, operator: ThresholdOperator, value: number): boolean {
  switch (operator) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
    case '==':
    case '===':
      return observed === value;
    case '!=':
      return observed !== value;
  }
}

/** A parsed metric selector: `name` or `name{tag:value,…}`. */
export interface MetricSelector {
  name: string;
  tags: Record<string, string>;
}

/**
 * Parses a selector as k6 does: tags split on `,`, key and value on the first `:`, both trimmed of
 * spaces and quotes.
 * @throws GrammarError for unbalanced braces or a tag without `key:value`.
 */
export function parseSelector(text: string): MetricSelector {
  const open = text.indexOf('{');
  const close = text.lastIndexOf('}');
  if (open === -1 && close === -1) {
    const name = text.trim();
    if (name === '') throw new GrammarError('an empty metric name');
    return { name, tags: {} };
  }
  if (open === -1 || close === -1 || close < open || close !== text.length - 1) {
    throw new GrammarError(`"${text}" is not "name" or "name{tag:value}" (unbalanced or misplaced braces)`);
  }
  const name = text.slice(0, open).trim();
  if (name === '') throw new GrammarError(`"${text}" has no metric name before "{"`);
  const tags: Record<string, string> = {};
  const inner = text.slice(open + 1, close);
  if (inner.trim() === '') return { name, tags };
  for (const part of inner.split(',')) {
    const colon = part.indexOf(':');
    const key = unquote(colon === -1 ? part : part.slice(0, colon));
    const value = colon === -1 ? '' : unquote(part.slice(colon + 1));
    if (colon === -1 || key === '' || value === '') {
      throw new GrammarError(`"${text}": tag "${part.trim()}" is not "key:value"`);
    }
    tags[key] = value;
  }
  return { name, tags };
}

function unquote(text: string): string {
  return text.trim().replace(/^["']+|["']+$/g, '');
}
