/**
 * The GPU eigensolver against float64 truth on the second half of the hard-case catalogue (issue 13;
 * src/bench/eigenCatalogue.ts, GPU size): 2-D/3-D Laplacians, a disconnected graph Laplacian,
 * 7-decade spectra at both ends, an indefinite spectrum with `both`, Wishart at both ends and the
 * scalings 1e±20, 1e±30 (×1e±30 only on SwiftShader). The contract is in
 * test/helpers/eigshCatalogue.ts; the first half is eigshCatalogue.gpu.test.ts.
 */
import { eigenCatalogue } from '../../src/bench/eigenCatalogue.ts';
import { describeCatalogue } from '../helpers/eigshCatalogue.ts';
import { useGpu } from '../helpers/gpu.ts';

useGpu();

describeCatalogue('Laplacians, log and indefinite spectra, Wishart, scalings', 12, eigenCatalogue('gpu').length);
