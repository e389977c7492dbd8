/**
 * A route that finds no adapter names the libraries it misses and their packages (issue 14:
 * "doctor does not name the missing libEGL"), and the no-adapter hint points to documentation an
 * installed user can open (an absolute URL, not a repository path).
 */
import { describe, expect, test } from 'vitest';
import { LINUX_HINT } from '../../src/node/dawn.ts';
import { missingLibrariesHint, routeLibraries } from '../../src/node/libraries.ts';
import { DOCS_URL, docsUrl } from '../../src/version.ts';

describe.runIf(process.platform === 'linux')('missing libraries', () => {
  test('a machine without libEGL: the OpenGL ES route names libEGL.so.1 and the package to install', () => {
    const present = new Set(['libEGL_mesa.so.0', 'libGLESv2.so.2', 'dri/swrast_dri.so']);
    const hint = missingLibrariesHint('opengles', (name) => (present.has(name) ? `/usr/lib/${name}` : null));
    expect(hint).toBe('missing libEGL.so.1 (EGL loader): apt-get install -y libegl1');
  });

  test('several missing libraries are all named, each package once', () => {
    const hint = missingLibrariesHint('opengles', () => null);
    expect(hint).toMatch(/^missing libEGL\.so\.1 \(EGL loader\), libEGL_mesa\.so\.0 .*dri\/swrast_dri\.so/);
    expect(hint).toMatch(/apt-get install -y libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri$/);
    expect(missingLibrariesHint('swiftshader', () => null)).toMatch(/libvulkan\.so\.1 .*libvulkan1/);
  });

  test('nothing missing gives no hint; every route with libraries names a package for each', () => {
    expect(missingLibrariesHint('opengles', (name) => `/usr/lib/${name}`)).toBeUndefined();
    for (const route of ['opengles', 'opengl', 'default', 'vulkan', 'swiftshader'])
      for (const lib of routeLibraries(route)) expect(lib.package).toMatch(/^lib/);
  });
});

test('the no-adapter hint points to an absolute documentation URL', () => {
  expect(DOCS_URL).toMatch(/^https:\/\//);
  expect(docsUrl('platforms.md')).toMatch(/^https:\/\//);
  expect(LINUX_HINT).toContain(docsUrl('platforms.md'));
  expect(LINUX_HINT).not.toMatch(/See docs\/platforms\.md/);
});
