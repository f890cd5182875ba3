// Types of prebuilt.mjs (plain JS because the install script runs before any build).
export const ADDON_FILE: string;
export const MANIFEST_FILE: string;
export function prebuiltDir(root: string, platform?: string, arch?: string): string;
export function sourceFiles(root: string): string[];
export function sourcesHash(root: string): string;
export function readManifest(root: string): { sourcesSha256: string; sha256: string; needs: { libraries: string[]; glibc: string } } | null;
export function findNodeGyp(root: string, options?: { packageManagers?: boolean }): string | null;
export function nodeGypRebuildArgs(nodeGyp: string): string[];
