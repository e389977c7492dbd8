/**
 * The GPU eigensolver against float64 truth on the first half of the hard-case catalogue (issue 13;
 * src/bench/eigenCatalogue.ts, GPU size): invariant subspaces (identity, zero, rank-1,
 * rank-deficient, I + uuᵀ), multiplicities 2/3/8 at the top (diagonal and rotated) and a 1e-6
 * cluster. The contract is in test/helpers/eigshCatalogue.ts; the second half is
 * eigshCatalogueSpectra.gpu.test.ts (two files so that vitest runs them in parallel).
 */
import { describeCatalogue } from '../helpers/eigshCatalogue.ts';
import { useGpu } from '../helpers/gpu.ts';

useGpu();

describeCatalogue('invariant subspaces, multiplicities, clusters', 0, 12);
