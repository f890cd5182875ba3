/** Synthetic tasks: seeded GSM8K-style problems whose answers are known by construction. */
export {
  OPERATION_PHRASES,
  arithmeticCompletion,
  generateArithmeticProblems,
  type ArithmeticOperation,
  type ArithmeticProblem,
  type ArithmeticProblemOptions,
  type ArithmeticStep,
  type SolutionStyle,
} from './arithmetic-problems.js';
