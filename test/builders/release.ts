/** Builder of the release status document. */
import type { ReleaseView } from '../../src/core/domain';
import { aBuild, merge, type DeepPartial } from './target';

/** A release of `aBuild()` to `web-prod`, waiting for approval, with green staging and blue production. */
export function aReleaseView(overrides: DeepPartial<ReleaseView> = {}): ReleaseView {
  const base: ReleaseView = {
    id: 'web-prod-b1234',
    target: 'web-prod',
    status: 'Running',
    phase: 'awaiting-approval',
    build: aBuild(),
    productionSlot: 'blue',
    stagingSlot: 'green',
    approval: {
      required: true,
      approveUrl: 'https://release.example.com/api/approvals/approve?token=t',
      rejectUrl: 'https://release.example.com/api/approvals/reject?token=t',
      expiresAt: '2024-05-02T10:00:00.000Z',
    },
    deploy: { instances: [], failed: 0, tolerated: 0 },
    verify: { url: 'http://10.0.0.5/health', version: '20240501.3', attempts: 1, ok: true },
    timeline: [],
    createdAt: '2024-05-01T10:00:00.000Z',
    updatedAt: '2024-05-01T10:05:00.000Z',
  };
  return merge(base, overrides);
}
