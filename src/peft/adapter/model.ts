import { ValueError } from '../../core/index.js';
import { Module, type Parameter } from '../../nn/index.js';
import {
  BertLayer,
  BertModel,
  GPT2Block,
  GPT2Model,
  LlamaDecoderLayer,
  LlamaModel,
  type PreTrainedModel,
} from '../../models/index.js';
import type { Tuner, TunerContext } from '../registry.js';
import { modelDims } from '../utils/model-info.js';
import { bottleneckSize, type BottleneckConfig } from './config.js';
import { couplingBlock, InvertibleAdapters } from './invertible.js';
import { BottleneckAdapter, BottleneckDict, BottleneckLayer } from './layer.js';

/** One transformer block's two adapter sites, created on demand. */
interface Block {
  index: number;
  /** After attention (mh_adapter). */
  attention(): BottleneckDict;
  /** After the feed-forward (output_adapter). */
  output(): BottleneckDict;
  /** The sites that exist. */
  sites(): BottleneckDict[];
}

/**
 * The blocks of the GPT-2, Llama and BERT families with AdapterHub's site names:
 * GPT-2 / Llama `h.<i>.attention_adapters.adapters` and `.output_adapters.adapters`;
 * BERT `layer.<i>.attention.output.adapters` and `layer.<i>.output.adapters`.
 */
function findBlocks(model: Module): Block[] {
  const blocks: Block[] = [];
  for (const [path, m] of model.namedModules()) {
    const index = Number(path.slice(path.lastIndexOf('.') + 1));
    if (m instanceof GPT2Block || m instanceof LlamaDecoderLayer) {
      const site = (field: 'attention_adapters' | 'output_adapters'): BottleneckDict => {
        let s = m[field];
        if (!(s instanceof BottleneckLayer)) {
          s = new BottleneckLayer();
          m[field] = s;
        }
        return (s as BottleneckLayer).adapters;
      };
      const existing = (): BottleneckDict[] =>
        [m.attention_adapters, m.output_adapters]
          .filter((s): s is BottleneckLayer => s instanceof BottleneckLayer)
          .map((s) => s.adapters);
      blocks.push({
        index,
        attention: () => site('attention_adapters'),
        output: () => site('output_adapters'),
        sites: existing,
      });
    } else if (m instanceof BertLayer) {
      const owners = [m.attention.output, m.output];
      const site = (i: 0 | 1): BottleneckDict => {
        const o = owners[i];
        if (!(o.adapters instanceof BottleneckDict)) o.adapters = new BottleneckDict();
        return o.adapters as BottleneckDict;
      };
      const existing = (): BottleneckDict[] =>
        owners
          .map((o) => o.adapters)
          .filter((s): s is BottleneckDict => s instanceof BottleneckDict);
      blocks.push({ index, attention: () => site(0), output: () => site(1), sites: existing });
    }
  }
  return blocks;
}

/** The GPT-2, Llama or BERT body that carries invertible adapters (AdapterHub's base model). */
function embeddingOwner(model: Module): GPT2Model | LlamaModel | BertModel | null {
  for (const [, m] of model.namedModules())
    if (m instanceof GPT2Model || m instanceof LlamaModel || m instanceof BertModel) return m;
  return null;
}

/**
 * Bottleneck adapters on a model (AdapterHub's model mixin): an adapter per block after
 * attention (mh_adapter) and/or after the feed-forward (output_adapter), skipping leave_out,
 * and with inv_adapter an invertible adapter on the embeddings (`transformer.invertible_adapters`,
 * Llama `model.invertible_adapters`, BERT `bert.invertible_adapters`).
 */
export class BottleneckModel extends Module implements Tuner<BottleneckConfig> {
  model: PreTrainedModel;

  constructor(model: PreTrainedModel) {
    super();
    this.model = model;
    if (findBlocks(model).length === 0) {
      throw new ValueError(
        `bottleneck adapters: no GPT-2, Llama or BERT blocks found in ${model.constructor.name}`,
      );
    }
  }

  get baseModel(): Module {
    return this;
  }

  private sites(): BottleneckDict[] {
    return findBlocks(this.model).flatMap((b) => b.sites());
  }

  /** The model's invertible adapters, if any was added. */
  private invertible(): InvertibleAdapters | null {
    const inv = embeddingOwner(this.model)?.invertible_adapters;
    return inv instanceof InvertibleAdapters ? inv : null;
  }

  addAdapter(name: string, config: BottleneckConfig, ctx: TunerContext): void {
    const hidden = modelDims(this.model).hiddenSize;
    const dtype = this.model.parameters()[0]?.dtype === 'float64' ? 'float64' : 'float32';
    if (config.inv_adapter !== null) {
      const owner = embeddingOwner(this.model);
      if (!owner) {
        throw new ValueError(
          `bottleneck adapter '${name}': inv_adapter '${config.inv_adapter}' needs a GPT-2, Llama or BERT model, got ${this.model.constructor.name}`,
        );
      }
      if (!(owner.invertible_adapters instanceof InvertibleAdapters))
        owner.invertible_adapters = new InvertibleAdapters();
      const block = couplingBlock(hidden, config, ctx.rng, dtype);
      (owner.invertible_adapters as InvertibleAdapters).set(name, block);
    }
    for (const block of findBlocks(this.model)) {
      if (config.leave_out.includes(block.index)) continue;
      const down = bottleneckSize(config, hidden, block.index);
      const make = (): BottleneckAdapter =>
        new BottleneckAdapter(hidden, down, config, ctx.rng, dtype);
      if (config.mh_adapter) block.attention().addAdapter(name, make(), config);
      if (config.output_adapter) block.output().addAdapter(name, make(), config);
    }
  }

  deleteAdapter(name: string): void {
    for (const s of this.sites()) s.deleteAdapter(name);
    this.invertible()?.delete(name);
  }

  setActiveAdapter(name: string | null): void {
    for (const s of this.sites()) s.setActiveAdapter(name);
    this.invertible()?.setActive(name === null ? null : [name]);
  }

  setActiveStack(names: readonly string[]): void {
    for (const s of this.sites()) s.setActiveStack(names);
    this.invertible()?.setActive(names);
  }

  adapterParameters(name: string): Parameter[] {
    const inv = this.invertible();
    return this.sites()
      .filter((s) => s.has(name))
      .flatMap((s) => s.get(name).parameters())
      .concat(inv?.has(name) ? inv.get(name).parameters() : []);
  }
}
