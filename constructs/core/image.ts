/** Container images pinned by tag and digest (baseline POD-2). */
import { assertResolved } from './checks.js';
import { FortressError, show } from './errors.js';

export interface ContainerImage {
  /** e.g. `eclipse-mosquitto` or `registry.example.com/mirror/eclipse-mosquitto`. */
  readonly repository: string;
  /** A version tag, e.g. `2.0.22`. */
  readonly tag: string;
  /** The image's `sha256:` digest. Get it with `docker buildx imagetools inspect IMAGE:TAG` or `crane digest IMAGE:TAG`. */
  readonly digest: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `repository:tag@digest`, after checking that the digest is present and well formed. */
export function imageRef(prop: string, image: ContainerImage): string {
  assertResolved(`${prop}.digest`, image?.digest);
  if (!image || typeof image.repository !== 'string' || !/^[a-z0-9]([a-z0-9._\/:-]*[a-z0-9])?$/.test(image.repository) || image.repository.includes('@')) {
    throw new FortressError('IMAGE_REPOSITORY', `${prop}.repository must be an image name without tag or digest (e.g. "eclipse-mosquitto"), got ${show(image?.repository)}.`);
  }
  if (typeof image.tag !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(image.tag) || image.tag === 'latest') {
    throw new FortressError('IMAGE_TAG', `${prop}.tag must be a version tag (not "latest"), got ${show(image.tag)}.`);
  }
  if (typeof image.digest !== 'string' || !DIGEST.test(image.digest)) {
    throw new FortressError(
      'IMAGE_DIGEST',
      `${prop}.digest must pin the image by digest ("sha256:" and 64 hex digits), got ${show(image.digest)} (baseline POD-2). ` +
        `Get it with \`docker buildx imagetools inspect ${image.repository}:${image.tag}\` or \`crane digest ${image.repository}:${image.tag}\`.`,
    );
  }
  return `${image.repository}:${image.tag}@${image.digest}`;
}

/** Compares dotted numeric versions; NaN parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
