import { describe, expect, it } from 'vitest';
import { gsm8kExactMatch } from '../src/index.js';

describe('gsm8kExactMatch (the accuracy check train() and evaluate() pass to @grpojs/rl)', () => {
  it('compares the predicted final answer with the gold answer column', () => {
    const row = { prompt: 'q', answer: '72' };
    expect(gsm8kExactMatch('<reasoning>48 + 24</reasoning>\n<answer>72</answer>', row)).toBe(true);
    expect(gsm8kExactMatch('<answer>71</answer>', row)).toBe(false);
    expect(gsm8kExactMatch('72', row)).toBe(false);
  });

  it('never accepts a row without a gold answer', () => {
    expect(gsm8kExactMatch('<answer>72</answer>', { prompt: 'q' })).toBe(false);
  });
});
