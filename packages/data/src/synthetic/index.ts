/** Synthetic tasks: seeded GSM8K-style problems whose answers are known by construction. */
export {
  OPERATION_PHRASES,
  generateArithmeticProblems,
  type ArithmeticOperation,
  type ArithmeticProblem,
  type ArithmeticProblemOptions,
  type ArithmeticStep,
} from './arithmetic-problems.js';
