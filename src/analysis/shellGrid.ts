/**
 * The logarithmic resolution-shell grid of docs/math.md ("Shells"), fixed across all checkpoints of a run.
 *
 * Shell α is [b_α, b_{α+1}) with b_α = λ_ref·e^{αh}. The window holds shells alphaMin … alphaMax;
 * the floor λ_floor is snapped to the window's lowest boundary, so every λ ≥ λ_floor lies in a
 * window shell (values above the top boundary are clamped into the top shell and counted in
 * `checks.clampedAbove`). Shell arrays are laid out as window shells (ascending λ), then ∅, then ⊥
 * (see src/reference/shells.ts).
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { complementShell, computedShellCount, floorShell, shellArrayLength, type ShellBinning } from '../reference/shells.ts';

/** Default shell width: 4 shells per decade (docs/math.md, "Shells"). */
export const DEFAULT_WIDTH = Math.log(10) / 4;

/** Options of {@link ShellGrid.create}. */
export interface ShellGridOptions {
  /** λ_ref > 0. Default 1. Keep it fixed across runs: LSI is a statement about an absolute grid. */
  readonly lambdaRef?: number;
  /** Shell width h in ln λ. Default ln10/4. Mutually exclusive with `shellsPerDecade`. */
  readonly width?: number;
  /** Alternative to `width`: h = ln10 / shellsPerDecade. */
  readonly shellsPerDecade?: number;
  /** Lowest λ resolved (snapped down to a boundary); smaller λ go to ∅. */
  readonly floor: number;
  /** Largest λ the window must hold (the window's top shell contains it). */
  readonly lambdaMax: number;
  /** Extra shells above `lambdaMax` (headroom for λ that grow during training). Default 1. */
  readonly headroom?: number;
  /** Boundary-straddling tolerance τ_b in ln λ. Default 1e-4. */
  readonly boundaryTolerance?: number;
}

/**
 * A fixed shell grid. Implements the {@link ShellBinning} numbers the kernels take.
 *
 * Three shell counts, named once here and used everywhere:
 * - {@link count}: the window shells (alphaMin … alphaMax);
 * - {@link computedCount}: the window plus ∅, the shells computed eigenpairs fall into;
 * - {@link size}: the window, ∅ and ⊥, the length of every shell array.
 */
export class ShellGrid implements ShellBinning {
  readonly lambdaRef: number;
  readonly width: number;
  readonly alphaMin: number;
  /** Window shells (see the class documentation for the three counts). */
  readonly count: number;
  readonly floor: number;
  readonly boundaryTolerance: number;

  private constructor(lambdaRef: number, width: number, alphaMin: number, count: number, boundaryTolerance: number) {
    this.lambdaRef = lambdaRef;
    this.width = width;
    this.alphaMin = alphaMin;
    this.count = count;
    this.floor = lambdaRef * Math.exp(alphaMin * width);
    this.boundaryTolerance = boundaryTolerance;
  }

  /** Builds a grid covering [floor, lambdaMax] (plus headroom), validating every option. */
  static create(options: ShellGridOptions): ShellGrid {
    const lambdaRef = options.lambdaRef ?? 1;
    if (!(lambdaRef > 0 && Number.isFinite(lambdaRef)))
      throw new InvalidArgumentError('lambdaRef', `must be a positive finite number, got ${lambdaRef}`);
    if (options.width !== undefined && options.shellsPerDecade !== undefined)
      throw new InvalidArgumentError('width/shellsPerDecade', 'give at most one of them');
    let width = options.width ?? DEFAULT_WIDTH;
    if (options.shellsPerDecade !== undefined) {
      if (!(options.shellsPerDecade > 0 && Number.isFinite(options.shellsPerDecade)))
        throw new InvalidArgumentError('shellsPerDecade', `must be positive, got ${options.shellsPerDecade}`);
      width = Math.log(10) / options.shellsPerDecade;
    }
    if (!(width > 0 && Number.isFinite(width))) throw new InvalidArgumentError('width', `must be a positive finite number, got ${width}`);
    const { floor, lambdaMax } = options;
    if (!(floor > 0 && Number.isFinite(floor))) throw new InvalidArgumentError('floor', `must be a positive finite number, got ${floor}`);
    if (!(lambdaMax > floor && Number.isFinite(lambdaMax)))
      throw new InvalidArgumentError('lambdaMax', `must be finite and above the floor (${floor}), got ${lambdaMax}`);
    const headroom = options.headroom ?? 1;
    if (!Number.isInteger(headroom) || headroom < 0)
      throw new InvalidArgumentError('headroom', `must be a non-negative integer, got ${headroom}`);
    const tol = options.boundaryTolerance ?? 1e-4;
    if (!(tol >= 0 && tol < width / 2)) throw new InvalidArgumentError('boundaryTolerance', `must be in [0, h/2), got ${tol}`);
    // The floor is snapped *down* to a boundary (1e-12 slack against rounding of an exact boundary).
    const alphaMin = Math.floor(Math.log(floor / lambdaRef) / width + 1e-12);
    const alphaTop = Math.floor(Math.log(lambdaMax / lambdaRef) / width) + headroom;
    const count = alphaTop - alphaMin + 1;
    if (count > 4096)
      throw new InvalidArgumentError(
        'floor/lambdaMax',
        `span ${count} shells; at most 4096 are supported (raise the floor or widen the shells)`,
      );
    return new ShellGrid(lambdaRef, width, alphaMin, count, tol);
  }

  /** Rebuilds a grid from its JSON form (e.g. to analyse several runs on one grid). */
  static fromJSON(json: { lambdaRef: number; width: number; alphaMin: number; count: number; boundaryTolerance: number }): ShellGrid {
    const g = ShellGrid.create({
      lambdaRef: json.lambdaRef,
      width: json.width,
      floor: json.lambdaRef * Math.exp(json.alphaMin * json.width),
      lambdaMax: json.lambdaRef * Math.exp((json.alphaMin + json.count - 0.5) * json.width),
      headroom: 0,
      boundaryTolerance: json.boundaryTolerance,
    });
    if (g.alphaMin !== json.alphaMin || g.count !== json.count) throw new InvalidArgumentError('grid', 'inconsistent alphaMin/count');
    return g;
  }

  /** Shells that computed eigenpairs fall into: the window shells and ∅ (count + 1). */
  get computedCount(): number {
    return computedShellCount(this.count);
  }

  /** Length of shell arrays: the window shells, ∅ and ⊥ (count + 2). */
  get size(): number {
    return shellArrayLength(this.count);
  }

  /** Index of ∅ in shell arrays. */
  get floorIndex(): number {
    return floorShell(this.count);
  }

  /** Index of ⊥ in shell arrays. */
  get complementIndex(): number {
    return complementShell(this.count);
  }

  /** Boundaries b_alphaMin … b_{alphaMax+1} (count + 1 values). */
  get edges(): Float64Array {
    return Float64Array.from({ length: this.count + 1 }, (_, i) => this.lambdaRef * Math.exp((this.alphaMin + i) * this.width));
  }

  /** Geometric shell centres λ̄_α = λ_ref·e^{(α+½)h} (count values). */
  get centers(): Float64Array {
    return Float64Array.from({ length: this.count }, (_, i) => this.lambdaRef * Math.exp((this.alphaMin + i + 0.5) * this.width));
  }

  /** The grid's JSON form (what `grsd analyze` writes as `grid`). */
  toJSON(): {
    /** λ_ref, the boundary of shell 0 (units 1/time). */
    lambdaRef: number;
    /** Shell width h in ln λ. */
    width: number;
    /** ln 10/h. */
    shellsPerDecade: number;
    /** Index α of the lowest window shell. */
    alphaMin: number;
    /** Index α of the highest window shell. */
    alphaMax: number;
    /** Number of window shells. */
    count: number;
    /** λ_floor, the window's lower boundary b_alphaMin (units 1/time). */
    floor: number;
    /** τ_b in ln λ: eigenvalues this close to a boundary are flagged. */
    boundaryTolerance: number;
    /** Boundaries b_alphaMin … b_{alphaMax+1} (count + 1 values, units 1/time). */
    edges: number[];
    /** Geometric shell centres λ̄_α (count values, units 1/time). */
    centers: number[];
  } {
    return {
      lambdaRef: this.lambdaRef,
      width: this.width,
      shellsPerDecade: Math.log(10) / this.width,
      alphaMin: this.alphaMin,
      alphaMax: this.alphaMin + this.count - 1,
      count: this.count,
      floor: this.floor,
      boundaryTolerance: this.boundaryTolerance,
      edges: Array.from(this.edges),
      centers: Array.from(this.centers),
    };
  }
}
