/** The package version, read from package.json at build time. */
import pkg from '../package.json' with { type: 'json' };

/** Version of this grsd build. */
export const GRSD_VERSION: string = pkg.version;

/** The repository URL from package.json (`repository`), without `git+` and `.git`, if any. */
function repositoryUrl(): string | undefined {
  const repo = (pkg as { repository?: string | { url?: string } }).repository;
  const url = typeof repo === 'string' ? repo : repo?.url;
  return url?.replace(/^git\+/, '').replace(/\.git$/, '');
}

/**
 * Where the documentation lives for an installed user, the one place every message pointing to
 * docs takes it from: the repository's `docs/` folder at this version's tag when package.json
 * names a repository, else the package's page on npm (which shows the README).
 */
export const DOCS_URL: string = (() => {
  const repo = repositoryUrl();
  return repo ? `${repo}/tree/v${pkg.version}/docs` : `https://www.npmjs.com/package/${pkg.name}`;
})();

/** The URL of one document of docs/ (e.g. `platforms.md`). */
export function docsUrl(page: string): string {
  return DOCS_URL.includes('npmjs.com') ? DOCS_URL : `${DOCS_URL}/${page}`;
}
