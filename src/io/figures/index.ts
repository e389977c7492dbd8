/**
 * The figures of a GRSD analysis (Vega-Lite specs shared by the HTML report, `grsd serve` and the
 * visualizer), their data source, CSV export and on-demand rendering. Browser-safe; vega is
 * loaded only when a figure is rendered.
 * @module
 */
export {
  analysisFigures,
  couplingsFigure,
  depthFigure,
  eigenvaluesFigure,
  energyFigure,
  fluxFigure,
  layerFigure,
  lossFigure,
  remainderFigure,
  residualShareFigure,
  velocityFigure,
  RESIDUAL_SHARE_WARNING,
  type Cell,
  type DepthPoint,
  type Figure,
} from './specs.ts';
export {
  figureSource,
  runFacts,
  type FailedFit,
  type FigureCheckpoint,
  type FigureCondition,
  type FigureFits,
  type FigureGrid,
  type FigureInterval,
  type FigureLayerShares,
  type FigureLossFit,
  type FigureRemainder,
  type FigureSource,
  type FigureTheory,
  type FigureVelocityFit,
  type RunFacts,
} from './source.ts';
export { formatTime, intervalLabel, perTime, timeTitle } from './format.ts';
export { toCsv } from './table.ts';
export { compileSpec, loadVega, renderSvg } from './render.ts';
