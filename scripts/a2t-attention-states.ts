/**
 * Where a trained A2T agent (PPO learner) attends, state by state: plays episodes with its mixed
 * policy on its target env and reports, per component i, over the states visited:
 *
 *   mean w_i                the number the attention plot shows (mean over visited states);
 *   disagreement-weighted   sum_s w_i(s) d_i(s) / sum_s d_i(s), d_i(s) = TV(pi_i(.|s), pi_-i(.|s)),
 *                           pi_-i the mixture of the other components: attention where following
 *                           component i changes the action distribution at all;
 *   influence               mean_s w_i(s) d_i(s) = mean_s TV(pi_T, pi_-i): how far component i
 *                           moves the mixed policy;
 *   and, given a reference A2T checkpoint (a competent agent on the same target), how often each
 *   component's greedy action is the reference base's greedy action.
 *
 * Usage: npx tsx scripts/a2t-attention-states.ts <a2t checkpoint> [episodes=10] [reference ckpt]
 * docs/transfer.md (harmful sources) uses it on runs of experiments/a2t-harmful-source*.yaml.
 */
import { Generator, noGrad, Tensor } from '../src/core/index.js';
import '../src/rl/index.js';
import '../src/rl/algos/index.js';
import { make } from '../src/rl/registry.js';
import { loadA2TAgent, type A2TAgent } from '../src/transfer/a2t/agent.js';

interface StateRow {
  w: number[];
  /** pi_k(.|s) per component k. */
  probs: number[][];
}

function rowsOf(agent: A2TAgent, obs: Float32Array): StateRow {
  const x = new Tensor(obs, [1, obs.length]);
  const A = agent.policy.actions;
  return noGrad(() => {
    const w = Array.from(agent.policy.weights(x).data);
    const lp = Array.from(agent.policy.componentLogProbs(x).data);
    return { w, probs: w.map((_, k) => lp.slice(k * A, (k + 1) * A).map(Math.exp)) };
  });
}

/** TV(pi_i, mixture of the other components), the other components' weights renormalised. */
function disagreement(r: StateRow, i: number): number {
  const A = r.probs[i].length;
  let tv = 0;
  for (let a = 0; a < A; a++) {
    let rest = 0;
    for (let k = 0; k < r.w.length; k++) if (k !== i) rest += r.w[k] * r.probs[k][a];
    tv += Math.abs(r.probs[i][a] - rest / Math.max(1e-12, 1 - r.w[i]));
  }
  return tv / 2;
}

const argmax = (p: number[]): number => p.indexOf(Math.max(...p));

async function main(): Promise<void> {
  const [dir, episodesArg, refDir] = process.argv.slice(2);
  if (!dir) throw new Error('usage: a2t-attention-states.ts <a2t checkpoint> [episodes] [ref]');
  const agent = await loadA2TAgent(dir);
  const ref = refDir ? await loadA2TAgent(refDir) : null;
  const env = make(agent.envId, agent.envOptions);
  const rng = new Generator(0);
  const names = agent.policy.components;
  const rows: StateRow[] = [];
  const refActions: number[] = [];
  const returns: number[] = [];
  for (let ep = 0; ep < Number(episodesArg ?? 10); ep++) {
    let obs = env.reset({ seed: 1000 + ep }).observation as Float32Array;
    let ret = 0;
    for (let done = false; !done;) {
      const flat = Float32Array.from(obs);
      const row = rowsOf(agent, flat);
      rows.push(row);
      if (ref) refActions.push(argmax(rowsOf(ref, flat).probs[ref.policy.components.length - 1]));
      const mix = row.probs[0].map((_, a) => row.w.reduce((s, w, k) => s + w * row.probs[k][a], 0));
      const step = env.step(rng.categorical(mix));
      ret += step.reward;
      obs = step.observation as Float32Array;
      done = step.terminated || step.truncated;
    }
    returns.push(ret);
  }
  env.close();
  console.log(`${dir}: ${rows.length} states, returns ${returns.join(' ')}`);
  names.forEach((name, i) => {
    let w = 0;
    let wd = 0;
    let d = 0;
    let agree = 0;
    for (const [s, r] of rows.entries()) {
      const di = disagreement(r, i);
      w += r.w[i];
      wd += r.w[i] * di;
      d += di;
      if (ref && argmax(r.probs[i]) === refActions[s]) agree++;
    }
    const n = rows.length;
    const parts = [
      `mean w ${(w / n).toFixed(3)}`,
      `disagreement-weighted w ${(wd / Math.max(1e-12, d)).toFixed(3)}`,
      `mean disagreement ${(d / n).toFixed(3)}`,
      `influence ${(wd / n).toFixed(4)}`,
    ];
    if (ref) parts.push(`greedy action = reference's on ${((100 * agree) / n).toFixed(1)}%`);
    console.log(`  ${name}: ${parts.join(', ')}`);
  });
}

await main();
