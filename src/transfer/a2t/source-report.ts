/**
 * A pretrained source is only worth transferring from if it solves its own task. A source entry
 * with `evaluation: { every, episodes }` pretrains with periodic evaluation (SB3's EvalCallback)
 * and keeps the best agent, not the final weights: value-based learners such as DQN on CartPole
 * reach the maximum and then swing away from it (docs/benchmarks.md). This file picks that agent
 * and checks it: 100 deterministic episodes (seeds 0-99, which the periodic evaluations on seeds
 * 10000 on never play) on the source's own env, for the kept agent and for the final weights,
 * against the env id's reward threshold. The report is written as `source.json` beside the
 * cached checkpoint; the runner copies every such report into the run's summary.json.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../../core/index.js';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { evaluateAgent, type EvaluationRecord } from '../../rl/algos/common/index.js';
import type { Agent, AlgorithmRegistration, TrainResult } from '../../rl/algos/types.js';
import { spec as envSpec } from '../../rl/registry.js';

export const SOURCE_REPORT_FILE = 'source.json';
/** Episodes (seeds 0 .. 99) of the check on the source's own env. */
export const SOURCE_CHECK_EPISODES = 100;

export interface SourceReport {
  format: 'osmosis-source-report';
  version: 1;
  name: string;
  algo: string;
  env: { id: string; options: Record<string, unknown> };
  seed: number;
  totalSteps: number;
  evaluation: { every: number; episodes: number };
  /** The periodic evaluations of pretraining, in order. */
  evaluations: EvaluationRecord[];
  /** The agent kept as the source: the best periodic evaluation's, or the final one if none ran. */
  selected: 'best' | 'final';
  /** Env steps of the kept best agent (null when the final weights were kept). */
  bestStep: number | null;
  /** Deterministic episodes on the source's own env (seeds 0 .. episodes-1). */
  check: {
    episodes: number;
    selected: { meanReturn: number; stdReturn: number };
    final: { meanReturn: number; stdReturn: number };
  };
  /** The env id's reward threshold (Gymnasium's reward_threshold), null if it has none. */
  threshold: number | null;
  /** Whether the kept agent's check reaches the threshold (null without a threshold). */
  solved: boolean | null;
}

function check(agent: Agent): { meanReturn: number; stdReturn: number } {
  const r = evaluateAgent(agent, { episodes: SOURCE_CHECK_EPISODES, seed: 0, deterministic: true });
  return { meanReturn: r.meanReturn, stdReturn: r.stdReturn };
}

/**
 * The agent to keep from a pretraining with periodic evaluation (the best, loaded from
 * `bestDir`, or the final one when no evaluation ran) and its report.
 */
export async function selectSource(args: {
  name: string;
  algo: AlgorithmRegistration;
  env: SourceReport['env'];
  seed: number;
  totalSteps: number;
  evaluation: SourceReport['evaluation'];
  result: TrainResult;
  bestDir: string;
}): Promise<{ agent: Agent; report: SourceReport }> {
  const evaluations = args.result.evaluations ?? [];
  const best = evaluations.filter((e) => e.best).at(-1);
  const agent = best ? await args.algo.load(args.bestDir) : args.result.agent;
  const selected = check(agent);
  const threshold = envSpec(args.env.id).rewardThreshold ?? null;
  return {
    agent,
    report: {
      format: 'osmosis-source-report',
      version: 1,
      name: args.name,
      algo: args.algo.name,
      env: args.env,
      seed: args.seed,
      totalSteps: args.totalSteps,
      evaluation: args.evaluation,
      evaluations,
      selected: best ? 'best' : 'final',
      bestStep: best?.globalStep ?? null,
      check: {
        episodes: SOURCE_CHECK_EPISODES,
        selected,
        final: best ? check(args.result.agent) : selected,
      },
      threshold,
      solved: threshold === null ? null : selected.meanReturn >= threshold,
    },
  };
}

export async function writeSourceReport(dir: string, report: SourceReport): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await writeFileAtomic(join(dir, SOURCE_REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
}

/** The reports of the sources cached under `cacheRoot` (none if it does not exist), by folder. */
export function readSourceReports(cacheRoot: string): SourceReport[] {
  if (!fs.existsSync(cacheRoot)) return [];
  const out: SourceReport[] = [];
  for (const entry of fs.readdirSync(cacheRoot, { withFileTypes: true })) {
    const file = join(cacheRoot, entry.name, SOURCE_REPORT_FILE);
    if (!entry.isDirectory() || !fs.existsSync(file)) continue;
    let value: unknown;
    try {
      value = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new CheckpointError(`${file} is not valid JSON`, { cause: err });
    }
    const v = value as Partial<SourceReport> | null;
    if (v?.format !== 'osmosis-source-report' || v.version !== 1 || !v.check?.selected) {
      throw new CheckpointError(`${file}: not an Osmosis source report (format, version, check)`);
    }
    out.push(v as SourceReport);
  }
  return out.sort((a, b) => (a.name === b.name ? a.seed - b.seed : a.name < b.name ? -1 : 1));
}
