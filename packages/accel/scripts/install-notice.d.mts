// Types of install-notice.mjs (plain JS because the install script runs before any build).
export interface Missing {
  what: string;
  how: string;
}
export interface Probes {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  onPath(name: string): boolean;
  exists(file: string): boolean;
  blasIncludeDirs: string[];
}
export function packageManager(userAgent: string | undefined): 'pnpm' | 'yarn' | 'bun' | 'npm';
export function rebuildCommand(options: { userAgent: string | undefined; inWorkspace: boolean }): string;
export function findMissing(probes: Probes): Missing[];
export function installNotice(options: {
  reason: string;
  missing: Missing[];
  prebuilt?: string | null;
  userAgent: string | undefined;
  inWorkspace: boolean;
}): string;
export function systemProbes(blasIncludeDirs: string[]): Probes;
