#!/usr/bin/env node
// Runs after tsup (npm run build).
//
// JavaScript: esbuild's code splitting leaves bare `import './chunk-X.js';` lines in the entries
// for chunks whose bindings only other chunks use. With the package's "sideEffects": false, a
// consumer's esbuild then warns that it ignores them ("ignored-bare-import"). They carry nothing
// (the chunks are side-effect free and their importers import them), so they are blanked in the
// package entries, keeping line numbers for the source maps.
//
// Declarations: make dist/*.d.ts compile in a strict consumer project (`skipLibCheck: false`,
// any `lib`, TypeScript 5 or 6). See docs/platforms.md, "TypeScript".
//
// 1. typegpu. grsd's public types mention TypeGPU's root (the `root` option and `ctx.root`).
//    typegpu 0.12's own declarations fail `skipLibCheck: false` (TS2636 in tgpuFragmentFn.d.ts,
//    tgpuVertexFn.d.ts, dataTypes.d.ts, wgslTypes.d.ts), so grsd's must not load them: the
//    imports from 'typegpu' are pointed at dist/typegpu.d.ts, which declares those names
//    structurally. A new name imported from typegpu fails the build here, so that a leak of
//    TypeGPU types into the surface is deliberate.
// 2. Libraries. The declarations use the WebGPU globals (GPUDevice, ...) and Disposable, so each
//    entry references the `dom` lib (WebGPU is part of it from TypeScript 6.0) and the
//    `esnext.disposable` lib. For TypeScript < 6.0, dist/ts5/<entry>.d.ts (selected by the
//    "types@<6.0" condition in package.json) also references @webgpu/types, a dependency.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const ENTRIES = ['index', 'node', 'lab', 'reference'];

const TYPEGPU_STAND_IN = `/**
 * TypeGPU's types as grsd's declarations mention them, declared structurally rather than imported:
 * typegpu 0.12's own declarations fail \`skipLibCheck: false\`, and grsd's pass it. A TypeGPU root
 * (\`TgpuRoot\` from typegpu) is assignable to this {@link TgpuRoot}; for TypeGPU's full API on
 * \`ctx.root\`, cast it: \`ctx.root as import('typegpu').TgpuRoot\`.
 */
export interface TgpuRoot {
    readonly resourceType: 'root';
    /** The GPU device of this root. */
    readonly device: GPUDevice;
    /** Destroys the resources created through the root (and the device, for a root that owns it). */
    destroy(): void;
}
`;
const STAND_IN_NAMES = new Set(['TgpuRoot']);

const LIBS = '/// <reference lib="dom" />\n/// <reference lib="esnext.disposable" />\n';

for (const entry of ENTRIES) {
  const path = join(dist, `${entry}.js`);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/^import '\.\/chunk-[\w-]+\.js';$/gm, ''));
}

const files = readdirSync(dist).filter((f) => f.endsWith('.d.ts'));
for (const file of files) {
  const path = join(dist, file);
  let text = readFileSync(path, 'utf8');
  text = text.replace(/^import 'typegpu';\n/gm, '');
  text = text.replace(/^import \{([^}]*)\} from 'typegpu';$/gm, (_, names) => {
    const unknown = names
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n && !STAND_IN_NAMES.has(n));
    if (unknown.length > 0) {
      throw new Error(
        `${file} imports ${unknown.join(', ')} from typegpu: declare it in the stand-in of scripts/finish-build.mjs or keep it out of the public types`,
      );
    }
    return `import {${names}} from './typegpu.js';`;
  });
  if (/from 'typegpu'|import\('typegpu'\)/.test(text))
    throw new Error(`${file} still refers to typegpu in a form finish-build does not handle`);
  if (ENTRIES.includes(file.replace(/\.d\.ts$/, '')) && !text.startsWith(LIBS)) text = LIBS + text;
  writeFileSync(path, text);
}
writeFileSync(join(dist, 'typegpu.d.ts'), TYPEGPU_STAND_IN);

mkdirSync(join(dist, 'ts5'), { recursive: true });
for (const entry of ENTRIES) {
  writeFileSync(
    join(dist, 'ts5', `${entry}.d.ts`),
    `/// <reference types="@webgpu/types" />\n// TypeScript < 6.0: the WebGPU types come from @webgpu/types (from 6.0 on, the dom lib has them).\nexport * from '../${entry}.js';\n`,
  );
}
console.log(
  `finish-build: bare chunk imports blanked in ${ENTRIES.join(', ')}; ${files.length} declaration files made self-contained; ts5 wrappers for ${ENTRIES.join(', ')}`,
);
