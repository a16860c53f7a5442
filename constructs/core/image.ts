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

/** A cdktf token inside a string (e.g. the account of an ECR registry, known only at apply time). */
const TOKEN = /\$\{TfToken\[[^\]]+\]\}/g;

/**
 * `repository:tag@digest`, after checking that the digest is present and well formed. The
 * registry host of the repository may hold a token (an ECR pull-through cache's account id, a
 * cross-stack reference); the rest of the name, the tag and the digest must be literal.
 */
export function imageRef(prop: string, image: ContainerImage): string {
  assertResolved(`${prop}.digest`, image?.digest);
  assertResolved(`${prop}.tag`, image?.tag);
  const literalName = typeof image?.repository === 'string' ? image.repository.replace(TOKEN, 'token') : image?.repository;
  if (!image || typeof literalName !== 'string' || !/^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?$/.test(literalName) || literalName.includes('@')) {
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

/**
 * Where images come from. Nodes in the kit's VPC have no route to the internet (no NAT, no
 * internet gateway), so Docker Hub is unreachable and every image must come from a registry
 * inside AWS: an ECR pull-through cache (the default app creates one, see PullThroughCache) or
 * your own mirror.
 */
export interface ImageRegistry {
  /** Registry host, e.g. `111122223333.dkr.ecr.eu-west-1.amazonaws.com` or `registry.example.com`. */
  readonly host: string;
  /** Path under the host that mirrors Docker Hub, e.g. `docker-hub` (no leading or trailing "/"). */
  readonly dockerHubPrefix: string;
}

/**
 * The Docker Hub repository path of an image name: official images (a single name such as
 * `eclipse-mosquitto`) live under `library/`, which a pull-through cache path must include;
 * other names (`emqx/emqx`) are used as they are.
 */
export function dockerHubPath(repository: string): string {
  const name = repository.replace(/^(docker\.io|registry-1\.docker\.io|index\.docker\.io)\//, '');
  return name.includes('/') ? name : `library/${name}`;
}

/**
 * The same image (same tag, same digest) from `registry`. A repository that already names a
 * registry host (has a "." or ":" in its first path segment, and is not Docker Hub) is left as
 * it is: it was mirrored on purpose.
 */
export function mirroredImage<T extends { readonly repository: string; readonly tag: string; readonly digest: string }>(image: T, registry: ImageRegistry | undefined): T {
  if (!registry) return image;
  const first = image.repository.split('/')[0]!;
  const isDockerHub = !image.repository.includes('/') || !/[.:]/.test(first) || /^(docker\.io|registry-1\.docker\.io|index\.docker\.io)$/.test(first);
  if (!isDockerHub) return image;
  const prefix = registry.dockerHubPrefix.replace(/^\/+|\/+$/g, '');
  if (!/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(prefix))
    throw new FortressError('IMAGE_REGISTRY', `registry.dockerHubPrefix must be a repository path such as "docker-hub", got ${show(registry.dockerHubPrefix)}.`);
  if (typeof registry.host !== 'string' || registry.host.length === 0 || /[\s/@]/.test(registry.host.replace(TOKEN, 'token'))) {
    throw new FortressError('IMAGE_REGISTRY', `registry.host must be a registry host name such as "111122223333.dkr.ecr.eu-west-1.amazonaws.com", got ${show(registry.host)}.`);
  }
  return { ...image, repository: `${registry.host}/${prefix}/${dockerHubPath(image.repository)}` };
}
