// What the install script (install.mjs) and the prebuilt build (build-prebuilt.mjs) share: where a
// prebuilt addon lives (prebuildify's layout, prebuilds/<platform>-<arch>/, which src/native.ts
// loads too), the hash of the sources it was built from, and how to run node-gyp.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';

export const ADDON_FILE = 'grpojs_accel.node';
export const MANIFEST_FILE = 'grpojs_accel.json';

/** The folder of this platform's prebuilt addon: prebuilds/linux-x64, prebuilds/darwin-arm64... */
export function prebuiltDir(root, platform = process.platform, arch = process.arch) {
  return join(root, 'prebuilds', `${platform}-${arch}`);
}

/** The files the addon is compiled from, relative to root and sorted: native/** (every file), binding.gyp, scripts/blas-flags.cjs. */
export function sourceFiles(root) {
  const native = readdirSync(join(root, 'native'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'));
  return [...native, 'binding.gyp', 'scripts/blas-flags.cjs'].sort();
}

/** sha256 over {@link sourceFiles}' names and contents. */
export function sourcesHash(root) {
  const files = sourceFiles(root);
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0');
  return hash.digest('hex');
}

/** The prebuilt's manifest (written by build-prebuilt.mjs), or null when there is none. */
export function readManifest(root) {
  const file = join(prebuiltDir(root), MANIFEST_FILE);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/**
 * The node-gyp entry script: the one npm/pnpm point at (unless `packageManagers` is false), a local
 * install, or npm's bundled copy.
 */
export function findNodeGyp(root, { packageManagers = true } = {}) {
  const fromEnv = packageManagers ? process.env.npm_config_node_gyp : undefined;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  try {
    return createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    return existsSync(bundled) ? bundled : null;
  }
}

/**
 * node-gyp's arguments for a rebuild. Offline machines cannot download Node's headers; a Node
 * installed with its headers (distro packages, official tarballs) has them under
 * <prefix>/include/node, which node-gyp accepts as nodedir.
 */
export function nodeGypRebuildArgs(nodeGyp) {
  const args = [nodeGyp, 'rebuild'];
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  }
  return args;
}
