import fc from 'fast-check';
import type { InstanceRef } from '../../../src/core/domain';
import { overBudgetError, overBudgetResult } from '../../../src/core/orchestration/deployChunk';
import { planChunks } from '../../../src/core/orchestration/steps/deploy';

const refs = (n: number): InstanceRef[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `/vm/${i}`,
    name: `vm${i}`,
    kind: 'vmssVm',
    address: `10.0.0.${i}`,
  }));

describe('planChunks', () => {
  it('deals instances round-robin into min(maxParallel, n) chunks, so the first maxParallel start first', () => {
    const plan = planChunks(refs(5), 2, 1);
    expect(plan.map((c) => c.instances.map((i) => i.name))).toEqual([
      ['vm0', 'vm2', 'vm4'],
      ['vm1', 'vm3'],
    ]);
    expect(plan.map((c) => c.budget)).toEqual([1, 0]);
    expect(planChunks(refs(2), 10, 0)).toHaveLength(2);
  });

  it('property: every instance once, at most maxParallel chunks, and failures over the tolerance always put a chunk over its share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 30 }),
        fc.array(fc.nat(), { maxLength: 50 }),
        (n, maxParallel, tolerated, draws) => {
          const plan = planChunks(refs(n), maxParallel, tolerated);
          expect(plan.length).toBe(Math.min(n, maxParallel));
          const names = plan.flatMap((c) => c.instances.map((i) => i.name)).sort();
          expect(names).toEqual(
            refs(n)
              .map((i) => i.name)
              .sort(),
          );
          expect(plan.reduce((s, c) => s + c.budget, 0)).toBe(tolerated);
          // Any failures spread over the chunks: more than tolerated means some chunk sees more than its share.
          const failures = plan.map((c, i) => Math.min(c.instances.length, draws[i] ?? 0));
          const total = failures.reduce((s, f) => s + f, 0);
          if (total > tolerated) expect(failures.some((f, i) => f > plan[i]!.budget)).toBe(true);
        },
      ),
    );
  });
});

describe('over-budget chunk result', () => {
  it('travels in the error message the parent receives, past the host appending details', () => {
    const result = {
      results: [{ instance: 'vm1', exitCode: 3, succeeded: false, outputTail: 'line 1\nline "2"' }],
      stopped: 'budget' as const,
    };
    const err = overBudgetError(result, 0);
    expect(err.message).toMatch(/^1 deploy failure\(s\) in this chunk, 0 allowed here/);
    const received = new Error(`Orchestrator function 'DeployChunk' failed: ${err.message} \n at stack`);
    expect(overBudgetResult(received)).toEqual(result);
    expect(overBudgetResult(new Error('terminated: by operator'))).toBeUndefined();
  });
});
