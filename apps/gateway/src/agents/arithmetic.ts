import { AgentwireError } from '@agentwirejs/types';

/** An arithmetic expression could not be evaluated; `position` is the 0-based offset of the problem. */
export class ArithmeticError extends AgentwireError {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super('ARITHMETIC_ERROR', message);
  }
}

export const MAX_EXPRESSION_LENGTH = 200;
const MAX_DEPTH = 32;

/**
 * Evaluates + - * / % ^ (right-associative power), unary minus and parentheses over decimal
 * numbers, by recursive descent: nothing is executed, names are not resolved, and input size
 * and nesting are bounded. Results that are not finite (division by zero, overflow) are errors.
 */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) throw new ArithmeticError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  let pos = 0;
  let depth = 0;

  const skipSpace = (): void => {
    while (pos < expression.length && /\s/.test(expression[pos] as string)) pos += 1;
  };
  const peek = (): string | undefined => {
    skipSpace();
    return expression[pos];
  };
  const finite = (value: number, at: number): number => {
    if (!Number.isFinite(value)) throw new ArithmeticError('the result is not a finite number (division by zero or overflow)', at);
    return value;
  };

  const parseNumber = (): number => {
    skipSpace();
    const match = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(expression.slice(pos));
    if (match === null) throw new ArithmeticError(peek() === undefined ? 'the expression ends too early' : `unexpected '${peek()}'`, pos);
    pos += match[0].length;
    return Number(match[0]);
  };

  const parsePrimary = (): number => {
    const next = peek();
    if (next === '(') {
      if (++depth > MAX_DEPTH) throw new ArithmeticError(`more than ${MAX_DEPTH} nested parentheses`, pos);
      pos += 1;
      const value = parseSum();
      if (peek() !== ')') throw new ArithmeticError("missing ')'", pos);
      pos += 1;
      depth -= 1;
      return value;
    }
    if (next === '-' || next === '+') {
      if (++depth > MAX_DEPTH) throw new ArithmeticError(`more than ${MAX_DEPTH} signs in a row`, pos);
      pos += 1;
      const value = parsePower();
      depth -= 1;
      return next === '-' ? -value : value;
    }
    return parseNumber();
  };

  const parsePower = (): number => {
    const base = parsePrimary();
    if (peek() === '^') {
      const at = pos;
      pos += 1;
      if (++depth > MAX_DEPTH) throw new ArithmeticError(`more than ${MAX_DEPTH} powers in a row`, pos);
      const exponent = parsePower();
      depth -= 1;
      return finite(base ** exponent, at);
    }
    return base;
  };

  const parseProduct = (): number => {
    let value = parsePower();
    for (let op = peek(); op === '*' || op === '/' || op === '%'; op = peek()) {
      const at = pos;
      pos += 1;
      const right = parsePower();
      value = finite(op === '*' ? value * right : op === '/' ? value / right : value % right, at);
    }
    return value;
  };

  function parseSum(): number {
    let value = parseProduct();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      pos += 1;
      const right = parseProduct();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  }

  if (peek() === undefined) throw new ArithmeticError('the expression is empty', 0);
  const result = parseSum();
  if (peek() !== undefined) throw new ArithmeticError(`unexpected '${peek()}'`, pos);
  return finite(result, 0);
}
