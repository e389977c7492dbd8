/** The package version, read from package.json at build time. */
import pkg from '../package.json' with { type: 'json' };

/** Version of this grsd build. */
export const GRSD_VERSION: string = pkg.version;
