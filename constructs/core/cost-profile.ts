/**
 * Cost profiles (docs/aws-hardening.md, "Cost"). `production` (the default) keeps every secure
 * default. `non-production` is a named, reported lower-cost profile for test and staging
 * environments: interface endpoints in 2 zones instead of every zone, flow logs of rejected
 * traffic only, CloudWatch log groups kept 90 days, Container Insights without the enhanced
 * (per-observation) metrics. Encryption, private networking, endpoint policies, alarms and the
 * control-plane log types stay on in both. The profile is written into the `mqtt-fortress:cost-profile`
 * tag of the resources it changes, so the security report can show it from the synthesized JSON.
 */
import { FortressError, show } from './errors.js';

export type CostProfile = 'production' | 'non-production';
export const COST_PROFILE_TAG = 'mqtt-fortress:cost-profile';

export function assertCostProfile(prop: string, v: unknown): CostProfile {
  if (v === undefined) return 'production';
  if (v !== 'production' && v !== 'non-production') throw new FortressError('INVALID_COST_PROFILE', `${prop} must be "production" (the default) or "non-production", got ${show(v)}.`);
  return v;
}
