/**
 * Which system libraries each Dawn route needs on Linux, and which of them are missing, so that
 * a failed route (and `grsd doctor`, and the no-adapter error) names what to install instead of
 * Dawn's "no adapter offered" (docs/platforms.md).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A library a route needs, and the Debian/Ubuntu package that provides it. */
export interface RouteLibrary {
  /** The shared object's soname (or a path relative to a library directory, e.g. `dri/swrast_dri.so`). */
  readonly name: string;
  readonly package: string;
  readonly purpose: string;
}

const MESA_GLES: readonly RouteLibrary[] = [
  { name: 'libEGL.so.1', package: 'libegl1', purpose: 'EGL loader' },
  { name: 'libEGL_mesa.so.0', package: 'libegl-mesa0', purpose: "Mesa's EGL" },
  { name: 'libGLESv2.so.2', package: 'libgles2', purpose: 'OpenGL ES' },
  { name: 'dri/swrast_dri.so', package: 'libgl1-mesa-dri', purpose: "Mesa's llvmpipe driver" },
];

/** The libraries each route needs (Linux). */
export function routeLibraries(route: string): readonly RouteLibrary[] {
  switch (route) {
    case 'opengles':
      return MESA_GLES;
    case 'opengl':
      return [...MESA_GLES.filter((l) => l.name !== 'libGLESv2.so.2'), { name: 'libGL.so.1', package: 'libgl1', purpose: 'OpenGL' }];
    case 'default':
    case 'vulkan':
    case 'swiftshader':
      return [{ name: 'libvulkan.so.1', package: 'libvulkan1', purpose: 'Vulkan loader' }];
    default:
      return [];
  }
}

/** The library directories of this machine: LD_LIBRARY_PATH, then the usual multiarch and lib directories. */
function libraryDirectories(): string[] {
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean);
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  return [...fromEnv, `/usr/lib/${arch}-linux-gnu`, `/lib/${arch}-linux-gnu`, '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];
}

let ldconfigCache: Map<string, string> | undefined;

/** The dynamic linker's cache (`ldconfig -p`): soname → path; empty where ldconfig is unavailable. */
function ldconfig(): Map<string, string> {
  if (ldconfigCache) return ldconfigCache;
  ldconfigCache = new Map();
  for (const command of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const r = spawnSync(command, ['-p'], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0 || !r.stdout) continue;
    for (const line of r.stdout.split('\n')) {
      const m = /^\s*(\S+) \(([^)]*)\) => (.+)$/.exec(line);
      if (m && !ldconfigCache.has(m[1]!) && (process.arch !== 'x64' || m[2]!.includes('x86-64'))) ldconfigCache.set(m[1]!, m[3]!);
    }
    break;
  }
  return ldconfigCache;
}

/** Where the library `name` is found (LD_LIBRARY_PATH, the linker cache, the usual directories), or null. */
export function findSharedLibrary(name: string): string | null {
  if (!name.includes('/')) {
    const cached = ldconfig().get(name);
    if (cached && existsSync(cached)) return cached;
  }
  for (const dir of libraryDirectories()) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return null;
}

/** Whether any Vulkan driver manifest (ICD) is installed. */
function vulkanDriversInstalled(): boolean {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.some((d) => {
    try {
      return readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

/**
 * Why a route may have found no adapter, in words naming the missing libraries and their
 * packages (e.g. `missing libEGL.so.1 (apt-get install libegl1)`), or undefined when nothing
 * it needs is missing (or not on Linux).
 *
 * @param lookup - finds a library (default {@link findSharedLibrary}); tests pass their own.
 */
export function missingLibrariesHint(route: string, lookup: (name: string) => string | null = findSharedLibrary): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const missing = routeLibraries(route).filter((l) => lookup(l.name) === null);
  if (missing.length > 0) {
    const names = missing.map((l) => `${l.name} (${l.purpose})`).join(', ');
    return `missing ${names}: apt-get install -y ${[...new Set(missing.map((l) => l.package))].join(' ')}`;
  }
  if ((route === 'default' || route === 'vulkan') && lookup === findSharedLibrary && !vulkanDriversInstalled())
    return 'no Vulkan driver is installed (no ICD manifest in /usr/share/vulkan/icd.d); a GPU needs its vendor Vulkan driver';
  return undefined;
}
