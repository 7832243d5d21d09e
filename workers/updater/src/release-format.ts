// The release format both ends share: bundle.json inside a bundle, the custom metadata of its TUF target, its target name.
export const BUNDLE_MANIFEST = 'bundle.json';

export interface NodeTarget {
  /** Node major version the bundle was built with (20). */
  readonly major: number;
  /** process.versions.modules: native add-ons only load on the same ABI. */
  readonly abi: string;
}

export interface BundleManifest {
  readonly version: string;
  readonly release_counter: number;
  readonly protocol: number;
  readonly node: NodeTarget;
  /** `<os>-<arch>`: native add-ons (sqlite3, koffi) make a bundle platform specific. */
  readonly platform: string;
  readonly built_at: string;
  /** sha256 (hex) of every file in the bundle except bundle.json, by POSIX relative path. */
  readonly files: Readonly<Record<string, string>>;
}

/** The custom metadata the release tool signs into a bundle's TUF target. */
export interface TargetCustom {
  readonly version: string;
  readonly release_counter: number;
  readonly protocol: number;
  readonly channel: string;
  readonly platform: string;
  readonly node_abi: string;
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const PLATFORM = /^[a-z0-9]+-[a-z0-9]+$/;
const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function currentPlatform(): string {
  return `${process.platform}-${process.arch}`;
}

export function currentNode(): NodeTarget {
  return { major: Number(process.versions.node.split('.')[0]), abi: process.versions.modules };
}

/** `raypher-bundle-<version>-<platform>.tgz`; the channel lives in the custom metadata, not the name. */
export function bundleFileName(version: string, platform: string): string {
  return `raypher-bundle-${version}-${platform}.tgz`;
}

export function isChannel(value: string): boolean {
  return CHANNEL.test(value);
}

type Problem = (what: string) => never;

function record(value: unknown, what: string, fail: Problem): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function text(o: Record<string, unknown>, key: string, pattern: RegExp, fail: Problem): string {
  const v = o[key];
  if (typeof v !== 'string' || !pattern.test(v)) fail(`${key} is missing or malformed (${JSON.stringify(v)})`);
  return v as string;
}

function positiveInt(o: Record<string, unknown>, key: string, fail: Problem): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(`${key} must be a positive integer (got ${JSON.stringify(v)})`);
  return v as number;
}

/** Validates custom target metadata; `fail` throws the caller's typed error. */
export function parseTargetCustom(value: unknown, fail: Problem): TargetCustom {
  const o = record(value, 'custom metadata', fail);
  return {
    version: text(o, 'version', SEMVER, fail),
    release_counter: positiveInt(o, 'release_counter', fail),
    protocol: positiveInt(o, 'protocol', fail),
    channel: text(o, 'channel', CHANNEL, fail),
    platform: text(o, 'platform', PLATFORM, fail),
    node_abi: text(o, 'node_abi', /^\d+$/, fail),
  };
}

export function parseBundleManifest(value: unknown, fail: Problem): BundleManifest {
  const o = record(value, BUNDLE_MANIFEST, fail);
  const node = record(o.node, 'node', fail);
  const files = record(o.files, 'files', fail);
  for (const [path, hash] of Object.entries(files)) {
    if (typeof hash !== 'string' || !SHA256.test(hash)) fail(`files[${JSON.stringify(path)}] is not a sha256`);
  }
  return {
    version: text(o, 'version', SEMVER, fail),
    release_counter: positiveInt(o, 'release_counter', fail),
    protocol: positiveInt(o, 'protocol', fail),
    node: { major: positiveInt(node, 'major', fail), abi: text(node, 'abi', /^\d+$/, fail) },
    platform: text(o, 'platform', PLATFORM, fail),
    built_at: text(o, 'built_at', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/, fail),
    files: files as Record<string, string>,
  };
}

export function isSemver(value: string): boolean {
  return SEMVER.test(value);
}
