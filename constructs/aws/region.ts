/** AWS region names, checked where a prop carries one. */
import { FortressError, show } from '../core/errors.js';

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

export function assertRegion(prop: string, region: string): void {
  if (typeof region !== 'string' || !REGION.test(region)) throw new FortressError('AWS_REGION', `${prop} must be an AWS region such as "eu-west-1", got ${show(region)}.`);
}
