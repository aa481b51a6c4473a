import { ArithmeticError, MAX_EXPRESSION_LENGTH, evaluateArithmetic } from './arithmetic';

describe('evaluateArithmetic', () => {
  it.each([
    ['2+2', 4],
    ['(2+3)*4', 20],
    ['2+3*4', 14],
    ['10 / 4', 2.5],
    ['-3 + 5', 2],
    ['2^3^2', 512],
    ['-2^2', -4],
    ['17 % 5', 2],
    ['1.5e3 + .5', 1500.5],
    ['((((1))))', 1],
    ['- - 3', 3],
  ])('%s = %p', (expression, value) => {
    expect(evaluateArithmetic(expression)).toBeCloseTo(value, 10);
  });

  it.each([
    ['', 'the expression is empty'],
    ['2+', 'the expression ends too early'],
    ['2 + x', "unexpected 'x'"],
    ['process.exit(1)', "unexpected 'p'"],
    ['(1+2', "missing ')'"],
    ['1/0', 'not a finite number'],
    ['10^400', 'not a finite number'],
    ['2 2', "unexpected '2'"],
    ['('.repeat(40) + '1' + ')'.repeat(40), 'nested parentheses'],
    ['-'.repeat(40) + '1', 'signs in a row'],
    ['1+'.repeat(MAX_EXPRESSION_LENGTH) + '1', 'longer than'],
  ])('rejects %p with a typed error (%s)', (expression, message) => {
    expect(() => evaluateArithmetic(expression)).toThrow(ArithmeticError);
    expect(() => evaluateArithmetic(expression)).toThrow(message);
  });
});
